"""Mutations of members, memberships and follows."""

from __future__ import annotations

import strawberry

from api.enums import MembershipRole, MembershipState
from api.errors import UserError
from api.members.types import Follow, Member, Membership
from api.payloads import InputIds, expected_version, perform
from domain.entities import Follow as FollowRow
from domain.entities import Member as MemberRow
from domain.entities import Membership as MembershipRow
from domain.services.members import Interest, MemberDraft, MembershipChanges, MembershipDraft


@strawberry.input(description="A topic a member cares about, weighted 0 to 1.")
class InterestInput:
    topic_id: strawberry.ID
    weight: float


@strawberry.input
class MemberCreateInput:
    handle: str
    display_name: str
    bio: str = ""
    location: str = ""
    interests: list[InterestInput] = strawberry.field(default_factory=list)


@strawberry.input
class MembershipCreateInput:
    community_id: strawberry.ID
    member_id: strawberry.ID
    role: MembershipRole = MembershipRole.MEMBER
    state: MembershipState = MembershipState.ACTIVE


@strawberry.input(description="Fields to change; those left out stay as they are.")
class MembershipUpdateInput:
    id: strawberry.ID
    role: MembershipRole | None = None
    state: MembershipState | None = None
    love: float | None = None
    trust: float | None = None
    expected_version: int | None = expected_version()


@strawberry.input
class FollowCreateInput:
    follower_id: strawberry.ID
    followee_id: strawberry.ID


@strawberry.type
class MemberCreatePayload:
    member: Member | None
    user_errors: list[UserError]


@strawberry.type
class MembershipCreatePayload:
    membership: Membership | None
    user_errors: list[UserError]


@strawberry.type
class MembershipUpdatePayload:
    membership: Membership | None
    user_errors: list[UserError]


@strawberry.type
class FollowCreatePayload:
    follow: Follow | None
    user_errors: list[UserError]


def _member(row: MemberRow | None) -> Member | None:
    return None if row is None else Member.from_row(row)


def _membership(row: MembershipRow | None) -> Membership | None:
    return None if row is None else Membership.from_row(row)


def _follow(row: FollowRow | None) -> Follow | None:
    return None if row is None else Follow.from_row(row)


@strawberry.type
class MemberMutation:
    @strawberry.mutation(description="Add a member, with interests over the organization's topics.")
    async def member_create(
        self, info: strawberry.Info, input: MemberCreateInput
    ) -> MemberCreatePayload:
        ids = InputIds()
        draft = MemberDraft(
            handle=input.handle,
            display_name=input.display_name,
            bio=input.bio,
            location=input.location,
            interests=tuple(
                Interest(ids.of(i.topic_id, "Topic"), i.weight) for i in input.interests
            ),
        )
        row, errors = await perform(info, lambda: info.context.services.members.create(draft))
        return MemberCreatePayload(member=_member(row), user_errors=errors)

    @strawberry.mutation(description="Put a member into a community.")
    async def membership_create(
        self, info: strawberry.Info, input: MembershipCreateInput
    ) -> MembershipCreatePayload:
        ids = InputIds()
        draft = MembershipDraft(
            community_id=ids.of(input.community_id, "Community"),
            member_id=ids.of(input.member_id, "Member"),
            role=input.role,
            state=input.state,
        )
        row, errors = await perform(info, lambda: info.context.services.members.join(draft))
        return MembershipCreatePayload(membership=_membership(row), user_errors=errors)

    @strawberry.mutation(description="Change a membership's role, state, love or trust.")
    async def membership_update(
        self, info: strawberry.Info, input: MembershipUpdateInput
    ) -> MembershipUpdatePayload:
        membership_id = InputIds().of(input.id, "Membership")
        changes = MembershipChanges(
            role=input.role,
            state=input.state,
            love=input.love,
            trust=input.trust,
            expected_version=input.expected_version,
        )
        service = info.context.services.members
        row, errors = await perform(info, lambda: service.change_membership(membership_id, changes))
        return MembershipUpdatePayload(membership=_membership(row), user_errors=errors)

    @strawberry.mutation(description="Make one member follow another.")
    async def follow_create(
        self, info: strawberry.Info, input: FollowCreateInput
    ) -> FollowCreatePayload:
        ids = InputIds()
        follower = ids.of(input.follower_id, "Member")
        followee = ids.of(input.followee_id, "Member")
        service = info.context.services.members
        row, errors = await perform(info, lambda: service.follow(follower, followee))
        return FollowCreatePayload(follow=_follow(row), user_errors=errors)
