"""GraphQL types of content and engagement, with their connections and filters."""

from __future__ import annotations

from collections.abc import Awaitable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.batching import cached
from api.connections import Connection, page_request
from api.enums import ContentKind, ContentStatus, EngagementKind
from api.ids import decode_id_of
from api.nodes import load_nodes
from api.organizations.types import Topic
from domain import entities
from domain.repositories.content import ContentFilter as DomainContentFilter
from domain.repositories.content import EngagementFilter as DomainEngagementFilter

if TYPE_CHECKING:
    from api.campaigns.types import Campaign
    from api.communities.types import Community
    from api.members.types import Member

CAMPAIGNS_TYPES = "api.campaigns.types"
COMMUNITIES_TYPES = "api.communities.types"
MEMBERS_TYPES = "api.members.types"
# No row has this id: a filter naming a topic the caller cannot see matches nothing.
NO_TOPIC = -1


def _member_of(row: Any) -> Any:
    from api.members.types import Member

    return None if row is None else Member.from_row(row)


async def _member(pending: Awaitable[Any]) -> Any:
    return _member_of(await pending)


@strawberry.type(description="A post, article, comment, reply, question, answer or announcement.")
class Content(relay.Node):
    id: relay.NodeID[int]
    kind: ContentKind
    status: ContentStatus
    title: str
    body: str
    sentiment: float = strawberry.field(description="-1 (negative) to 1 (positive).")
    quality: float = strawberry.field(description="0 to 1.")
    reply_count: int
    published_at: datetime | None
    scheduled_at: datetime | None = strawberry.field(
        description="When the scheduler is to publish it (scheduled content)."
    )
    rejection_reason: str | None = strawberry.field(
        description="Why review sent it back (rejected content)."
    )
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(
        description="Raised by every change; send it back as `expectedVersion` to update safely."
    )
    community_id: strawberry.Private[int]
    author_id: strawberry.Private[int | None]
    parent_id: strawberry.Private[int | None]
    campaign_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: entities.Content) -> Content:
        assert row.id is not None
        return cls(
            id=row.id,
            kind=ContentKind(row.kind),
            status=ContentStatus(row.status),
            title=row.title,
            body=row.body,
            sentiment=row.sentiment,
            quality=row.quality,
            reply_count=row.reply_count,
            published_at=row.published_at,
            scheduled_at=row.scheduled_at,
            rejection_reason=row.rejection_reason,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
            community_id=row.community_id,
            author_id=row.author_id,
            parent_id=row.parent_id,
            campaign_id=row.campaign_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        # The loader serves live content only: deleted content is as unknown as a foreign id.
        return await load_nodes(info.context.loaders.content.content, cls.from_row, node_ids)

    @strawberry.field
    async def community(
        self, info: strawberry.Info
    ) -> Annotated[Community, strawberry.lazy(COMMUNITIES_TYPES)]:
        from api.communities.types import Community

        row = await info.context.loaders.communities.communities.load(self.community_id)
        return Community.from_row(row)

    @strawberry.field(description="Who wrote it; null for the brand's own or a removed author.")
    def author(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        # Synchronous when the page's authors were batched already (`content_of` loads them
        # with the page); otherwise an awaitable, which graphql-core awaits like an async field.
        if self.author_id is None:
            return None
        loader = info.context.loaders.members.members
        hit, row = cached(loader, self.author_id)
        if not hit:
            return _member(loader.load(self.author_id))  # type: ignore[return-value]
        return _member_of(row)

    @strawberry.field(description="The campaign it is part of, if any.")
    async def campaign(
        self, info: strawberry.Info
    ) -> Annotated[Campaign, strawberry.lazy(CAMPAIGNS_TYPES)] | None:
        from api.campaigns.types import Campaign

        if self.campaign_id is None:
            return None
        row = await info.context.loaders.campaigns.campaigns.load(self.campaign_id)
        return None if row is None else Campaign.from_row(row)

    @strawberry.field(description="What this replies to; null at the top of a thread.")
    async def parent(self, info: strawberry.Info) -> Content | None:
        if self.parent_id is None:
            return None
        row = await info.context.loaders.content.content.load(self.parent_id)
        return None if row is None else Content.from_row(row)

    @strawberry.field(description="The topics it is about.")
    async def topics(self, info: strawberry.Info) -> list[Topic]:
        topic_ids = await info.context.loaders.content.topic_ids.load(self.id)
        rows = await info.context.loaders.organizations.topics.load_many(topic_ids)
        return [Topic.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="The thread below this content, oldest first.")
    async def replies(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ContentConnection:
        from api.content.queries import content_of

        request = page_request(first, after, last, before)
        return await content_of(info, "parent_id", self.id, None, request)

    @strawberry.field(description="Actions members took on this content, newest first.")
    async def engagements(
        self,
        info: strawberry.Info,
        filter: EngagementFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EngagementConnection:
        from api.content.queries import engagements_of

        request = page_request(first, after, last, before)
        return await engagements_of(info, "content_id", self.id, filter, request)


@strawberry.type(description="A member's action on content at a time.")
class Engagement(relay.Node):
    id: relay.NodeID[int]
    kind: EngagementKind
    occurred_at: datetime
    content_id: strawberry.Private[int]
    member_id: strawberry.Private[int]
    community_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: entities.Engagement) -> Engagement:
        assert row.id is not None
        return cls(
            id=row.id,
            kind=EngagementKind(row.kind),
            occurred_at=row.occurred_at,
            content_id=row.content_id,
            member_id=row.member_id,
            community_id=row.community_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.content.engagements, cls.from_row, node_ids)

    @strawberry.field(description="The content acted on; null once it is deleted.")
    async def content(self, info: strawberry.Info) -> Content | None:
        row = await info.context.loaders.content.content.load(self.content_id)
        return None if row is None else Content.from_row(row)

    @strawberry.field
    async def member(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)]:
        from api.members.types import Member

        row = await info.context.loaders.members.members.load(self.member_id)
        return Member.from_row(row)

    @strawberry.field
    async def community(
        self, info: strawberry.Info
    ) -> Annotated[Community, strawberry.lazy(COMMUNITIES_TYPES)]:
        from api.communities.types import Community

        row = await info.context.loaders.communities.communities.load(self.community_id)
        return Community.from_row(row)


@strawberry.type(description="A page of content.")
class ContentConnection(Connection[Content]):
    pass


@strawberry.type(description="A page of engagements.")
class EngagementConnection(Connection[Engagement]):
    pass


@strawberry.input(
    description="What a content list may be narrowed by; deleted content never shows."
)
class ContentFilter:
    kind: ContentKind | None = None
    topic_id: strawberry.ID | None = None
    since: datetime | None = strawberry.field(default=None, description="Created at or after.")
    until: datetime | None = strawberry.field(default=None, description="Created before.")
    top_level_only: bool = strawberry.field(default=False, description="Leave replies out.")
    status: ContentStatus | None = strawberry.field(
        default=ContentStatus.PUBLISHED,
        description=(
            "Published by default: what the community sees. Ask for DRAFT, IN_REVIEW, APPROVED, "
            "REJECTED or SCHEDULED to see the team's work; null lists every status."
        ),
    )

    def to_domain(self) -> DomainContentFilter:
        topic_id = None
        if self.topic_id is not None:
            topic_id = decode_id_of(self.topic_id, {"Topic"})
            topic_id = NO_TOPIC if topic_id is None else topic_id
        return DomainContentFilter(
            kind=self.kind,
            topic_id=topic_id,
            since=self.since,
            until=self.until,
            top_level_only=self.top_level_only,
            status=self.status,
        )


@strawberry.input(description="What a list of engagements may be narrowed by.")
class EngagementFilter:
    kind: EngagementKind | None = None

    def to_domain(self) -> DomainEngagementFilter:
        return DomainEngagementFilter(kind=self.kind)
