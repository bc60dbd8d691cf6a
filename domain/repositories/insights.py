"""Queries behind orbit flow and levels, influencer ranking and retention cohorts.

Each groups by community, so a page of communities asking the same question costs one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.entities import Membership
from domain.rollups.daily import as_date, table_of
from domain.rollups.tables import MemberActivityDay, MembershipInfluence, OrbitChange

Flow = tuple[int, int, int]  # (from level, to level, memberships)


@dataclass(frozen=True, slots=True)
class RankedInfluence:
    """One membership's stored influence as a ranking reads it: a plain record, because
    building a `MembershipInfluence` entity per row (SQLModel's __init__) cost ~0.15 ms each,
    more than the query: a dashboard's 100 influencers spent 16 ms of CPU on it."""

    membership_id: int
    community_id: int
    member_id: int
    reach: float
    quality: float
    score: float
    computed_at: datetime


RANKED_COLUMNS = tuple(RankedInfluence.__dataclass_fields__)


class InsightsRepository:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id

    async def orbit_flow(
        self, community_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, list[Flow]]:
        """Level changes per community in [start, end), counted by (from, to)."""
        change = table_of(OrbitChange)
        stmt = (
            select(change.c.community_id, change.c.from_level, change.c.to_level, func.count())
            .where(
                change.c.organization_id == self.organization_id,
                change.c.community_id.in_(list(community_ids)),
                change.c.changed_at >= start,
                change.c.changed_at < end,
            )
            .group_by(change.c.community_id, change.c.from_level, change.c.to_level)
            .order_by(change.c.community_id, change.c.from_level, change.c.to_level)
        )
        found: dict[int, list[Flow]] = defaultdict(list)
        for community_id, old, new, count in (await self.session.execute(stmt)).all():
            found[community_id].append((int(old), int(new), int(count)))
        return found

    async def orbit_levels(self, community_ids: Sequence[int]) -> dict[int, dict[int, int]]:
        """Memberships per orbit level, per community, as they stand now."""
        membership = table_of(Membership)
        stmt = (
            select(membership.c.community_id, membership.c.orbit_level, func.count())
            .where(
                membership.c.organization_id == self.organization_id,
                membership.c.community_id.in_(list(community_ids)),
            )
            .group_by(membership.c.community_id, membership.c.orbit_level)
        )
        found: dict[int, dict[int, int]] = defaultdict(dict)
        for community_id, level, count in (await self.session.execute(stmt)).all():
            found[community_id][int(level)] = int(count)
        return found

    async def top_influencers(
        self, community_ids: Sequence[int], first: int
    ) -> dict[int, list[RankedInfluence]]:
        """The `first` highest scores of each community (ties by membership id)."""
        table = table_of(MembershipInfluence)
        rank = (
            func.row_number()
            .over(
                partition_by=table.c.community_id,
                order_by=(table.c.score.desc(), table.c.membership_id),
            )
            .label("rank")
        )
        inner = (
            select(*(table.c[name] for name in RANKED_COLUMNS), rank)
            .where(
                table.c.organization_id == self.organization_id,
                table.c.community_id.in_(list(community_ids)),
            )
            .subquery()
        )
        stmt = (
            select(*(inner.c[name] for name in RANKED_COLUMNS))
            .where(inner.c.rank <= first)
            .order_by(inner.c.community_id, inner.c.rank)
        )
        found: dict[int, list[RankedInfluence]] = defaultdict(list)
        for row in (await self.session.execute(stmt)).all():
            ranked = RankedInfluence(*row)
            found[ranked.community_id].append(ranked)
        return found

    async def cohort_members(
        self, community_ids: Sequence[int], since: datetime
    ) -> dict[int, list[tuple[int, datetime]]]:
        """(member id, joined at) of memberships that joined each community since `since`."""
        membership = table_of(Membership)
        stmt = select(
            membership.c.community_id, membership.c.member_id, membership.c.joined_at
        ).where(
            membership.c.organization_id == self.organization_id,
            membership.c.community_id.in_(list(community_ids)),
            membership.c.joined_at >= since,
        )
        found: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
        for community_id, member_id, joined in (await self.session.execute(stmt)).all():
            found[community_id].append((member_id, joined))
        return found

    async def activity_days(
        self, community_ids: Sequence[int], since: date, joined_since: datetime
    ) -> dict[int, dict[int, list[date]]]:
        """Days on which members who joined since `joined_since` engaged, per community."""
        activity, membership = table_of(MemberActivityDay), table_of(Membership)
        stmt = (
            select(activity.c.community_id, activity.c.member_id, activity.c.day)
            .join(
                membership,
                (membership.c.community_id == activity.c.community_id)
                & (membership.c.member_id == activity.c.member_id),
            )
            .where(
                activity.c.organization_id == self.organization_id,
                activity.c.community_id.in_(list(community_ids)),
                activity.c.day >= since,
                membership.c.joined_at >= joined_since,
            )
        )
        found: dict[int, dict[int, list[date]]] = defaultdict(lambda: defaultdict(list))
        for community_id, member_id, day in (await self.session.execute(stmt)).all():
            found[community_id][member_id].append(as_date(day))
        return found
