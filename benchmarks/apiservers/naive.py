"""The naive baseline: the same GraphQL schema for the benchmark's operations, written the way a
first Strawberry server is: plain per-object resolvers (one query per author, per reply page,
per ingested item), no DataLoaders, no parse or validation caches, the ORM's unit of work for
writes, the standard JSON encoder. Same database, same key check, same answers as Townsquare.

Run by `benchmarks/api.py` as `uvicorn naive:app --app-dir benchmarks/apiservers`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import UTC, datetime

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from domain.entities import ApiKey, Engagement
from domain.entities import Content as ContentRow
from domain.entities import Member as MemberRow

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


@strawberry.type
class Query:
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
