"""The naive baseline: the same GraphQL schema for the benchmark's operations, written the way a
first Strawberry server is: plain per-object resolvers (one query per author, per reply page,
per ingested item), no DataLoaders, no parse or validation caches, the ORM's unit of work for
writes, the standard JSON encoder. Same database, same key check, same answers as Townsquare.
The dashboard's KPIs are counted per community from raw membership, engagement and content
rows (no rollups), its influencers read per community with one query per influencer's member;
the inbox reads each mention's author, latest escalation and assignee one query at a time.

Run by `benchmarks/api.py` as `uvicorn naive:app --app-dir benchmarks/apiservers`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime, timedelta

import strawberry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from api.listening.enums import EscalationStatus, Priority
from domain.entities import ApiKey, Engagement, Membership
from domain.entities import Community as CommunityRow
from domain.entities import Content as ContentRow
from domain.entities import Member as MemberRow
from domain.listening.tables import Escalation as EscalationRow
from domain.listening.tables import Mention as MentionRow
from domain.metrics.engagement import engagement_rate
from domain.metrics.sentiment import NEUTRAL_BAND, net_sentiment
from domain.rollups.tables import MembershipInfluence

engine = create_async_engine(os.environ["BENCH_NAIVE_URL"], pool_size=10, max_overflow=10)
sessions = async_sessionmaker(engine, expire_on_commit=False)


def gid(type_name: str, row_id: int) -> strawberry.ID:
    return strawberry.ID(base64.b64encode(f"{type_name}:{row_id}".encode()).decode())


def row_id(value: str) -> int:
    return int(base64.b64decode(value).decode().partition(":")[2])


@strawberry.type
class Member:
    id: strawberry.ID
    handle: str


@strawberry.type
class Content:
    id: strawberry.ID
    title: str
    body: str
    author_id: strawberry.Private[int | None]
    row: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: strawberry.Info) -> Member | None:
        if self.author_id is None:
            return None
        member = await info.context["session"].get(MemberRow, self.author_id)
        return None if member is None else Member(id=gid("Member", member.id), handle=member.handle)

    @strawberry.field
    async def replies(self, info: strawberry.Info, first: int = 20) -> ReplyConnection:
        rows = await info.context["session"].scalars(
            select(ContentRow)
            .where(ContentRow.parent_id == self.row, ContentRow.deleted_at.is_(None))  # type: ignore[union-attr]
            .order_by(ContentRow.created_at, ContentRow.id)
            .limit(first)
        )
        return ReplyConnection(nodes=[content(r) for r in rows])


@strawberry.type
class ReplyConnection:
    nodes: list[Content]


def content(row: ContentRow) -> Content:
    assert row.id is not None
    return Content(
        id=gid("Content", row.id),
        title=row.title,
        body=row.body,
        author_id=row.author_id,
        row=row.id,
    )


async def member_of(info: strawberry.Info, member_id: int | None) -> Member | None:
    if member_id is None:
        return None
    member = await info.context["session"].get(MemberRow, member_id)
    return None if member is None else Member(id=gid("Member", member.id), handle=member.handle)


@strawberry.input
class MetricsWindowInput:
    start: datetime = strawberry.field(name="from")
    to: datetime


@strawberry.type
class MetricsSummary:
    audience_size: int
    active_members: int
    engagement_rate: float
    net_sentiment: float


@strawberry.type
class MetricsReport:
    community: strawberry.Private[int]
    window: strawberry.Private[MetricsWindowInput]

    @strawberry.field
    async def summary(self, info: strawberry.Info) -> MetricsSummary:
        session: AsyncSession = info.context["session"]
        # Whole UTC days: the window's days run from the day of `from` to the day before `to`
        # (a midnight `to` excludes its day); rows are counted up to the end of that last day.
        start = datetime.combine(self.window.start.astimezone(UTC).date(), datetime.min.time(), UTC)
        last = (self.window.to.astimezone(UTC) - timedelta(microseconds=1)).date()
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC)
        audience = await session.scalar(
            select(func.count()).where(
                Membership.community_id == self.community,
                Membership.joined_at < end,  # type: ignore[operator]
                (Membership.state == "active") | (Membership.updated_at >= end),  # type: ignore[operator]
            )
        )
        active, reactions = (
            await session.execute(
                select(
                    func.count(Engagement.member_id.distinct()),  # type: ignore[attr-defined]
                    func.count().filter(Engagement.kind.in_(("like", "comment", "share"))),  # type: ignore[attr-defined]
                ).where(
                    Engagement.community_id == self.community,
                    Engagement.occurred_at >= start,  # type: ignore[operator]
                    Engagement.occurred_at < end,  # type: ignore[operator]
                )
            )
        ).one()
        positive, negative, voices = (
            await session.execute(
                select(
                    func.count().filter(ContentRow.sentiment > NEUTRAL_BAND),  # type: ignore[operator]
                    func.count().filter(ContentRow.sentiment < -NEUTRAL_BAND),  # type: ignore[operator]
                    func.count(),
                ).where(
                    ContentRow.community_id == self.community,
                    ContentRow.kind.in_(("comment", "reply")),  # type: ignore[attr-defined]
                    ContentRow.deleted_at.is_(None),  # type: ignore[union-attr]
                    ContentRow.published_at >= start,  # type: ignore[operator]
                    ContentRow.published_at < end,  # type: ignore[operator]
                )
            )
        ).one()
        return MetricsSummary(
            audience_size=audience or 0,
            active_members=active,
            engagement_rate=engagement_rate(reactions, 0, 0, audience or 0),
            net_sentiment=net_sentiment(positive, negative, voices),
        )


@strawberry.type
class Influencer:
    rank: int
    score: float
    member_id: strawberry.Private[int]

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member | None:
        return await member_of(info, self.member_id)


@strawberry.type
class Community:
    id: strawberry.ID
    name: str
    row: strawberry.Private[int]

    @strawberry.field
    def metrics(self, window: MetricsWindowInput) -> MetricsReport:
        return MetricsReport(community=self.row, window=window)

    @strawberry.field
    async def influencers(self, info: strawberry.Info, first: int = 10) -> list[Influencer]:
        rows = await info.context["session"].scalars(
            select(MembershipInfluence)
            .where(MembershipInfluence.community_id == self.row)
            .order_by(MembershipInfluence.score.desc(), MembershipInfluence.membership_id)  # type: ignore[attr-defined]
            .limit(first)
        )
        return [
            Influencer(rank=rank, score=row.score, member_id=row.member_id)
            for rank, row in enumerate(rows, start=1)
        ]


@strawberry.type
class CommunityConnection:
    nodes: list[Community]


@strawberry.type
class Escalation:
    id: strawberry.ID
    status: EscalationStatus
    priority: Priority
    assignee_id: strawberry.Private[int | None]

    @strawberry.field
    async def assignee(self, info: strawberry.Info) -> Member | None:
        return await member_of(info, self.assignee_id)


@strawberry.type
class Mention:
    id: strawberry.ID
    text: str
    sentiment: float
    author_id: strawberry.Private[int | None]
    row: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: strawberry.Info) -> Member | None:
        return await member_of(info, self.author_id)

    @strawberry.field
    async def escalation(self, info: strawberry.Info) -> Escalation | None:
        row = await info.context["session"].scalar(
            select(EscalationRow)
            .where(EscalationRow.mention_id == self.row)
            .order_by(EscalationRow.created_at.desc(), EscalationRow.id.desc())  # type: ignore[attr-defined, union-attr]
            .limit(1)
        )
        if row is None:
            return None
        return Escalation(
            id=gid("Escalation", row.id),
            status=EscalationStatus(row.status),
            priority=Priority(row.priority),
            assignee_id=row.assignee_member_id,
        )


@strawberry.type
class MentionConnection:
    nodes: list[Mention]


@strawberry.type
class Query:
    @strawberry.field
    async def communities(self, info: strawberry.Info, first: int = 20) -> CommunityConnection:
        rows = await info.context["session"].scalars(
            select(CommunityRow)
            .where(
                CommunityRow.organization_id == info.context["org"],
                CommunityRow.archived_at.is_(None),  # type: ignore[union-attr]
            )
            .order_by(CommunityRow.created_at, CommunityRow.id)
            .limit(first)
        )
        return CommunityConnection(
            nodes=[Community(id=gid("Community", r.id), name=r.name, row=r.id) for r in rows]
        )

    @strawberry.field
    async def mentions(self, info: strawberry.Info, first: int = 20) -> MentionConnection:
        rows = await info.context["session"].scalars(
            select(MentionRow)
            .where(MentionRow.organization_id == info.context["org"])
            .order_by(MentionRow.occurred_at.desc(), MentionRow.id.desc())  # type: ignore[attr-defined, union-attr]
            .limit(first)
        )
        return MentionConnection(
            nodes=[
                Mention(
                    id=gid("Mention", r.id),
                    text=r.text,
                    sentiment=r.sentiment,
                    author_id=r.author_member_id,
                    row=r.id,
                )
                for r in rows
            ]
        )

    @strawberry.field
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Content | None:
        row = await info.context["session"].get(ContentRow, row_id(id))
        if row is None or row.organization_id != info.context["org"] or row.deleted_at:
            return None
        return content(row)


@strawberry.input
class EngagementRecordInput:
    content_id: strawberry.ID
    member_id: strawberry.ID
    kind: str


@strawberry.input
class EngagementsIngestInput:
    items: list[EngagementRecordInput]


@strawberry.type
class UserError:
    field: list[str]
    message: str
    code: str


@strawberry.type
class EngagementsIngestPayload:
    ingested_count: int
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def engagements_ingest(
        self, info: strawberry.Info, input: EngagementsIngestInput
    ) -> EngagementsIngestPayload:
        session: AsyncSession = info.context["session"]
        org = info.context["org"]
        now = datetime.now(UTC)
        for item in input.items:
            post = await session.get(ContentRow, row_id(item.content_id))
            member = await session.get(MemberRow, row_id(item.member_id))
            if post is None or member is None or post.organization_id != org:
                await session.rollback()
                problem = UserError(field=["items"], message="not found", code="NOT_FOUND")
                return EngagementsIngestPayload(ingested_count=0, user_errors=[problem])
            session.add(
                Engagement(
                    organization_id=org,
                    community_id=post.community_id,
                    content_id=post.id,  # type: ignore[arg-type]
                    member_id=member.id,  # type: ignore[arg-type]
                    kind=item.kind.lower(),
                    occurred_at=now,
                    created_at=now,
                )
            )
        await session.commit()
        return EngagementsIngestPayload(ingested_count=len(input.items), user_errors=[])


class NaiveGraphQL(GraphQL):
    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        request = Request(scope, receive)
        key = request.headers.get("authorization", "").partition(" ")[2]
        async with sessions() as session:
            found = await session.scalar(
                select(ApiKey).where(ApiKey.key_hash == hashlib.sha256(key.encode()).hexdigest())
            )
            if found is None:
                await JSONResponse({"errors": [{"message": "Unauthenticated"}]}, 401)(
                    scope, receive, send
                )
                return
            scope["naive"] = {"session": session, "org": found.organization_id}
            await super().__call__(scope, receive, send)

    async def get_context(self, request, response) -> dict[str, object]:  # type: ignore[no-untyped-def, override]
        return dict(request.scope["naive"])


schema = strawberry.Schema(query=Query, mutation=Mutation)
app = Starlette(
    routes=[Route("/graphql", NaiveGraphQL(schema, graphql_ide=None), methods=["POST"])]
)
