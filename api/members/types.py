"""GraphQL types of members, memberships and follows, with their connections and filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.connections import Connection, page_request
from api.enums import MembershipRole, MembershipState
from api.nodes import load_nodes
from api.organizations.types import Topic
from domain import entities
from domain.repositories.members import MembershipFilter as DomainMembershipFilter

if TYPE_CHECKING:
    from api.communities.types import Community
    from api.content.types import ContentConnection, ContentFilter

COMMUNITIES_TYPES = "api.communities.types"
CONTENT_TYPES = "api.content.types"


@strawberry.type(description="How much a member cares about one topic.")
class Interest:
    topic_id: strawberry.Private[int]
    weight: float = strawberry.field(description="0 to 1; a member's weights add up to 1 at most.")

    @strawberry.field
    async def topic(self, info: strawberry.Info) -> Topic:
        row = await info.context.loaders.organizations.topics.load(self.topic_id)
        return Topic.from_row(row)


@strawberry.type(description="A person, with a profile, interests and followers.")
class Member(relay.Node):
    id: relay.NodeID[int]
    handle: str
    display_name: str
    bio: str
    location: str
    followers_count: int
    following_count: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: entities.Member) -> Member:
        assert row.id is not None
        return cls(
            id=row.id,
            handle=row.handle,
            display_name=row.display_name,
            bio=row.bio,
            location=row.location,
            followers_count=row.followers_count,
            following_count=row.following_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.members.members, cls.from_row, node_ids)

    @strawberry.field(description="The member's interests, strongest first.")
    async def interests(self, info: strawberry.Info) -> list[Interest]:
        rows = await info.context.loaders.members.interests.load(self.id)
        return [Interest(topic_id=row.topic_id, weight=row.weight) for row in rows]

    @strawberry.field(description="The communities this member belongs to.")
    async def memberships(
        self,
        info: strawberry.Info,
        filter: MembershipFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MembershipConnection:
        from api.members.queries import memberships_of

        request = page_request(first, after, last, before)
        return await memberships_of(info, "member_id", self.id, filter, request)

    @strawberry.field(description="What this member wrote, newest first.")
    async def content(
        self,
        info: strawberry.Info,
        filter: Annotated[ContentFilter, strawberry.lazy(CONTENT_TYPES)] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Annotated[ContentConnection, strawberry.lazy(CONTENT_TYPES)]:
        # Imported here: content's types refer back to members (an author).
        from api.content.queries import content_of

        request = page_request(first, after, last, before)
        return await content_of(info, "author_id", self.id, filter, request)


@strawberry.type(description="A member in a community, with a role, a state, love and trust.")
class Membership(relay.Node):
    id: relay.NodeID[int]
    role: MembershipRole
    state: MembershipState
    love: float = strawberry.field(description="Presence and commitment, 0 to 1.")
    trust: float = strawberry.field(description="Trust in the brand, 0 to 1.")
    orbit_level: int = strawberry.field(description="1 (core) to 4 (periphery).")
    joined_at: datetime
    updated_at: datetime
    version: int = strawberry.field(
        description="Raised by every change; send it back as `expectedVersion` to update safely."
    )
    community_id: strawberry.Private[int]
    member_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: entities.Membership) -> Membership:
        assert row.id is not None
        return cls(
            id=row.id,
            role=MembershipRole(row.role),
            state=MembershipState(row.state),
            love=row.love,
            trust=row.trust,
            orbit_level=row.orbit_level,
            joined_at=row.joined_at,
            updated_at=row.updated_at,
            version=row.version,
            community_id=row.community_id,
            member_id=row.member_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.members.memberships, cls.from_row, node_ids)

    @strawberry.field
    async def community(
        self, info: strawberry.Info
    ) -> Annotated[Community, strawberry.lazy(COMMUNITIES_TYPES)]:
        from api.communities.types import Community

        row = await info.context.loaders.communities.communities.load(self.community_id)
        return Community.from_row(row)

    @strawberry.field
    async def member(self, info: strawberry.Info) -> Member:
        row = await info.context.loaders.members.members.load(self.member_id)
        return Member.from_row(row)


@strawberry.type(description="One member following another.")
class Follow(relay.Node):
    id: relay.NodeID[int]
    created_at: datetime
    follower_id: strawberry.Private[int]
    followee_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: entities.Follow) -> Follow:
        assert row.id is not None
        return cls(
            id=row.id,
            created_at=row.created_at,
            follower_id=row.follower_id,
            followee_id=row.followee_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.members.follows, cls.from_row, node_ids)

    @strawberry.field(description="Who follows.")
    async def follower(self, info: strawberry.Info) -> Member:
        row = await info.context.loaders.members.members.load(self.follower_id)
        return Member.from_row(row)

    @strawberry.field(description="Who is followed.")
    async def followee(self, info: strawberry.Info) -> Member:
        row = await info.context.loaders.members.members.load(self.followee_id)
        return Member.from_row(row)


@strawberry.type(description="A page of members.")
class MemberConnection(Connection[Member]):
    pass


@strawberry.type(description="A page of memberships.")
class MembershipConnection(Connection[Membership]):
    pass


@strawberry.input(description="What a list of memberships may be narrowed by.")
class MembershipFilter:
    role: MembershipRole | None = None
    state: MembershipState | None = None

    def to_domain(self) -> DomainMembershipFilter:
        return DomainMembershipFilter(role=self.role, state=self.state)
