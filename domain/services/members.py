"""Members, their interests, their memberships of communities and who follows whom."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.concurrency import next_version
from domain.db import transaction
from domain.entities import Follow, Member, MemberInterest, Membership
from domain.enums import MembershipRole, MembershipState
from domain.errors import Conflict, NotFound, ValidationFailed
from domain.pagination import Page, PageRequest
from domain.repositories.communities import CommunityRepository
from domain.repositories.members import (
    FollowRepository,
    MemberRepository,
    MembershipFilter,
    MembershipRepository,
)
from domain.repositories.organizations import TopicRepository
from domain.rollups.daily import membership_changed
from domain.timeutil import utcnow
from domain.validation import HANDLE_PATTERN, Problems

INTEREST_TOLERANCE = 1e-6
HANDLE_HINT = "may hold 1 to 64 letters, digits, '_', '.' or '-'"


@dataclass(frozen=True)
class Interest:
    topic_id: int
    weight: float


@dataclass(frozen=True)
class MemberDraft:
    handle: str
    display_name: str
    bio: str = ""
    location: str = ""
    interests: tuple[Interest, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class MembershipDraft:
    community_id: int
    member_id: int
    role: MembershipRole = MembershipRole.MEMBER
    state: MembershipState = MembershipState.ACTIVE


@dataclass(frozen=True)
class MembershipChanges:
    role: MembershipRole | None = None
    state: MembershipState | None = None
    love: float | None = None
    trust: float | None = None
    # The version the caller read; another version is a CONFLICT (None: no check).
    expected_version: int | None = None


def _check_member(draft: MemberDraft) -> Problems:
    problems = Problems()
    problems.pattern(
        "handle", draft.handle, HANDLE_PATTERN, "may hold 1 to 64 letters, digits, '_', '.' or '-'"
    )
    problems.text("displayName", draft.display_name, low=1, high=200)
    problems.text("bio", draft.bio, low=0, high=2000)
    problems.text("location", draft.location, low=0, high=200)
    seen: set[int] = set()
    for index, interest in enumerate(draft.interests):
        problems.within(f"interests.{index}.weight", interest.weight, 0.0, 1.0)
        if interest.topic_id in seen:
            problems.add(f"interests.{index}.topicId", "a topic may appear once", "DUPLICATE")
        seen.add(interest.topic_id)
    if sum(i.weight for i in draft.interests) > 1.0 + INTEREST_TOLERANCE:
        problems.add("interests", "interest weights must add up to at most 1", "OUT_OF_RANGE")
    return problems


class MemberService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = MemberRepository(session, organization_id)
        self.memberships = MembershipRepository(session, organization_id)
        self.follows = FollowRepository(session, organization_id)

    async def create(self, draft: MemberDraft) -> Member:
        problems = _check_member(draft)
        problems.raise_if_any()
        topics = TopicRepository(self.session, self.organization_id)
        known = await topics.existing_ids([i.topic_id for i in draft.interests])
        for index, interest in enumerate(draft.interests):
            if interest.topic_id not in known:
                problems.add(f"interests.{index}.topicId", "topic not found", "NOT_FOUND")
        problems.raise_if_any()
        async with transaction(self.session):
            if await self.repo.by_handle(draft.handle) is not None:
                raise Conflict.single("handle", f"the handle {draft.handle!r} is taken")
            member = self.repo.add(
                Member(
                    organization_id=self.organization_id,
                    handle=draft.handle,
                    display_name=draft.display_name.strip(),
                    bio=draft.bio,
                    location=draft.location,
                )
            )
            await self.session.flush()
            assert member.id is not None
            for interest in draft.interests:
                self.session.add(
                    MemberInterest(
                        member_id=member.id,
                        topic_id=interest.topic_id,
                        organization_id=self.organization_id,
                        weight=interest.weight,
                    )
                )
        return member

    async def get(self, member_id: int) -> Member | None:
        return await self.repo.get(member_id)

    async def get_many(self, member_ids: Sequence[int]) -> dict[int, Member]:
        return await self.repo.get_many(member_ids)

    async def read_many(self, member_ids: Sequence[int]) -> dict[int, Any]:
        """Members by id as plain rows, for readers (the API's loaders)."""
        return await self.repo.plain_by_id(member_ids)

    async def page(self, request: PageRequest) -> Page[Member]:
        return await self.repo.list_page(request)

    async def total(self) -> int:
        return await self.repo.total()

    async def interests_of(self, member_ids: Sequence[int]) -> dict[int, list[MemberInterest]]:
        return await self.repo.interests_of(member_ids)

    async def join(self, draft: MembershipDraft) -> Membership:
        communities = CommunityRepository(self.session, self.organization_id)
        community = await communities.get(draft.community_id)
        member = await self.repo.get(draft.member_id)
        problems = Problems()
        if community is None:
            problems.add("communityId", "community not found", "NOT_FOUND")
        elif community.archived_at is not None:
            problems.add("communityId", "the community is archived", "ARCHIVED")
        if member is None:
            problems.add("memberId", "member not found", "NOT_FOUND")
        problems.raise_if_any()
        async with transaction(self.session):
            if await self.memberships.pair_exists(draft.community_id, draft.member_id):
                raise Conflict.single("memberId", "the member already belongs to this community")
            membership = self.memberships.add(
                Membership(
                    organization_id=self.organization_id,
                    community_id=draft.community_id,
                    member_id=draft.member_id,
                    role=draft.role.value,
                    state=draft.state.value,
                )
            )
            await self.session.flush()
            await membership_changed(self.session, None, membership)
        return membership

    async def change_membership(self, membership_id: int, changes: MembershipChanges) -> Membership:
        problems = Problems()
        problems.within("love", changes.love, 0.0, 1.0)
        problems.within("trust", changes.trust, 0.0, 1.0)
        problems.raise_if_any()
        async with transaction(self.session):
            membership = await self.memberships.get(membership_id)
            if membership is None:
                raise NotFound.of("id", "membership")
            before = membership.model_copy()
            if changes.role is not None:
                membership.role = changes.role.value
            if changes.state is not None:
                membership.state = changes.state.value
            if changes.love is not None:
                membership.love = changes.love
            if changes.trust is not None:
                membership.trust = changes.trust
            membership.updated_at = utcnow()
            await next_version(self.session, membership, changes.expected_version, "membership")
            self.session.add(membership)
            await membership_changed(self.session, before, membership)
        return membership

    async def get_memberships(self, membership_ids: Sequence[int]) -> dict[int, Membership]:
        return await self.memberships.get_many(membership_ids)

    async def membership_pages(
        self, parent: str, parent_ids: Sequence[int], where: MembershipFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        return await self.memberships.pages_for(parent, parent_ids, where, request)

    async def membership_counts(
        self, parent: str, parent_ids: Sequence[int], where: MembershipFilter
    ) -> dict[int, int]:
        return await self.memberships.counts_for(parent, parent_ids, where)

    async def follow(self, follower_id: int, followee_id: int) -> Follow:
        if follower_id == followee_id:
            raise ValidationFailed.single(
                "followeeId", "a member cannot follow themselves", "SELF_FOLLOW"
            )
        found = await self.repo.get_many([follower_id, followee_id])
        problems = Problems()
        if follower_id not in found:
            problems.add("followerId", "member not found", "NOT_FOUND")
        if followee_id not in found:
            problems.add("followeeId", "member not found", "NOT_FOUND")
        problems.raise_if_any()
        async with transaction(self.session):
            if await self.follows.exists(follower_id, followee_id):
                raise Conflict.single("followeeId", "already following this member")
            follow = self.follows.add(
                Follow(
                    organization_id=self.organization_id,
                    follower_id=follower_id,
                    followee_id=followee_id,
                )
            )
            await self.repo.bump_follow_counts(follower_id, followee_id)
            await self.session.flush()
        return follow

    async def get_follows(self, follow_ids: Sequence[int]) -> dict[int, Follow]:
        return await self.follows.get_many(follow_ids)
