"""Queries over members, their interests, memberships and follows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Select, Table, bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from domain.arrays import among, dialect_of
from domain.entities import Follow, Member, MemberInterest, Membership
from domain.enums import MembershipRole, MembershipState
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository

MEMBER_ORDER = Ordering((Member.created_at, Member.id))
MEMBERSHIP_ORDER = Ordering((Membership.id,))


class Engager(NamedTuple):
    """What the weight of a member's engagement depends on."""

    followers: int
    interests: dict[int, float]  # topic id -> weight


@lru_cache(maxsize=4)
def _engagers(dialect: str) -> Select[Any]:
    member: Table = Member.__table__  # type: ignore[attr-defined]
    interest: Table = MemberInterest.__table__  # type: ignore[attr-defined]
    return (
        sa_select(member.c.id, member.c.followers_count, interest.c.topic_id, interest.c.weight)
        .select_from(member.outerjoin(interest, interest.c.member_id == member.c.id))
        .where(
            member.c.organization_id == bindparam("organization_id"),
            among(dialect, member.c.id, "ids"),
        )
    )


class MemberRepository(TenantRepository[Member]):
    model = Member

    async def by_handle(self, handle: str) -> Member | None:
        stmt = self.scoped().where(col(Member.handle) == handle)
        return (await self.session.scalars(stmt)).first()

    async def handles_taken(self, handles: Sequence[str]) -> set[str]:
        stmt = select(Member.handle).where(
            col(Member.organization_id) == self.organization_id,
            col(Member.handle).in_(list(handles)),
        )
        return set((await self.session.scalars(stmt)).all())

    async def list_page(self, request: PageRequest) -> Page[Member]:
        return await self.page(self.scoped(), MEMBER_ORDER, request)

    async def total(self) -> int:
        return await self.count(self.scoped())

    async def engagers(self, member_ids: Sequence[int]) -> dict[int, Engager]:
        """Followers count and interests of each of `member_ids` the organization has
        (absent: unknown), in one statement."""
        if not member_ids:
            return {}
        statement = _engagers(dialect_of(self.session))
        rows: Sequence[Any] = (
            await self.session.execute(
                statement, {"organization_id": self.organization_id, "ids": list(set(member_ids))}
            )
        ).all()
        found: dict[int, Engager] = {}
        for member_id, followers, topic_id, weight in rows:
            entry = found.get(member_id)
            if entry is None:
                entry = found[member_id] = Engager(followers, {})
            if topic_id is not None:
                entry.interests[topic_id] = weight
        return found

    async def interests_of(self, member_ids: Sequence[int]) -> dict[int, list[MemberInterest]]:
        stmt = (
            select(MemberInterest)
            .where(
                col(MemberInterest.organization_id) == self.organization_id,
                col(MemberInterest.member_id).in_(list(member_ids)),
            )
            .order_by(col(MemberInterest.member_id), col(MemberInterest.weight).desc())
        )
        grouped: dict[int, list[MemberInterest]] = defaultdict(list)
        for row in (await self.session.scalars(stmt)).all():
            grouped[row.member_id].append(row)
        return {mid: grouped.get(mid, []) for mid in member_ids}

    async def bump_follow_counts(self, follower_id: int, followee_id: int) -> None:
        # Counters move in SQL so concurrent follows never lose an increment.
        await self.session.execute(
            update(Member)
            .where(col(Member.id) == follower_id)
            .values(following_count=Member.following_count + 1)
        )
        await self.session.execute(
            update(Member)
            .where(col(Member.id) == followee_id)
            .values(followers_count=Member.followers_count + 1)
        )


@dataclass(frozen=True)
class MembershipFilter:
    """What a community's (or member's) memberships may be narrowed by."""

    role: MembershipRole | None = None
    state: MembershipState | None = None

    def key(self) -> tuple[Any, ...]:
        return (self.role, self.state)


class MembershipRepository(TenantRepository[Membership]):
    model = Membership

    def filtered(self, where: MembershipFilter) -> Select[Any]:
        stmt = self.scoped()
        if where.role is not None:
            stmt = stmt.where(col(Membership.role) == where.role.value)
        if where.state is not None:
            stmt = stmt.where(col(Membership.state) == where.state.value)
        return stmt

    async def pair_exists(self, community_id: int, member_id: int) -> bool:
        stmt = self.scoped().where(
            col(Membership.community_id) == community_id, col(Membership.member_id) == member_id
        )
        return (await self.session.scalars(stmt)).first() is not None

    async def pages_for(
        self, parent: str, parent_ids: Sequence[int], where: MembershipFilter, request: PageRequest
    ) -> dict[int, Page[Any]]:
        """Plain rows (see `TenantRepository.plain_by_id`): pages are only read."""
        return await self.pages_by_parent(
            self.filtered(where), parent, parent_ids, MEMBERSHIP_ORDER, request, plain=True
        )

    async def counts_for(
        self, parent: str, parent_ids: Sequence[int], where: MembershipFilter
    ) -> dict[int, int]:
        return await self.counts_by_parent(self.filtered(where), parent, parent_ids)


class FollowRepository(TenantRepository[Follow]):
    model = Follow

    async def exists(self, follower_id: int, followee_id: int) -> bool:
        stmt = self.scoped().where(
            col(Follow.follower_id) == follower_id, col(Follow.followee_id) == followee_id
        )
        return (await self.session.scalars(stmt)).first() is not None
