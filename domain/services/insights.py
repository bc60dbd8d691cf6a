"""Orbit levels and flow, influencer ranking and retention cohorts of communities (batched)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import ValidationFailed
from domain.metrics import retention
from domain.metrics.window import Granularity, Window
from domain.repositories.insights import Flow, InsightsRepository, RankedInfluence
from domain.repositories.metrics import midnight
from domain.timeutil import as_utc, utcnow

MAX_COHORTS = 24
MAX_INFLUENCERS = 100


@dataclass(frozen=True)
class Cohort:
    """Memberships that joined in one period, and the share active in each period since."""

    window: Window
    size: int
    retained: list[float]


class InsightsService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.repo = InsightsRepository(session, organization_id)

    async def orbit_flow(
        self, community_ids: Sequence[int], window: Window
    ) -> dict[int, list[Flow]]:
        start, end = midnight(window.first), midnight(window.last + timedelta(days=1))
        return await self.repo.orbit_flow(community_ids, start, end)

    async def orbit_levels(self, community_ids: Sequence[int]) -> dict[int, dict[int, int]]:
        return await self.repo.orbit_levels(community_ids)

    async def influencers(
        self, community_ids: Sequence[int], first: int
    ) -> dict[int, list[RankedInfluence]]:
        if not 1 <= first <= MAX_INFLUENCERS:
            message = f"`first` must be between 1 and {MAX_INFLUENCERS}"
            raise ValidationFailed.single("first", message, "OUT_OF_RANGE")
        return await self.repo.top_influencers(community_ids, first)

    async def retention(
        self, community_ids: Sequence[int], granularity: Granularity, cohorts: int
    ) -> dict[int, list[Cohort]]:
        """The last `cohorts` join cohorts (ISO weeks or calendar months) of each community."""
        if granularity is Granularity.DAY:
            raise ValidationFailed.single("cohort", "cohorts are weeks or months", "INVALID")
        if not 1 <= cohorts <= MAX_COHORTS:
            message = f"`cohorts` must be between 1 and {MAX_COHORTS}"
            raise ValidationFailed.single("cohorts", message, "OUT_OF_RANGE")
        periods = _periods(utcnow().date(), granularity, cohorts)
        since = midnight(periods[0].first)
        joined = await self.repo.cohort_members(community_ids, since)
        active = await self.repo.activity_days(community_ids, periods[0].first, since)
        starts = [p.first for p in periods]
        found = {}
        for community_id in community_ids:
            members = joined.get(community_id, [])
            days = active.get(community_id, {})
            found[community_id] = [
                _cohort(index, periods, starts, members, days) for index in range(len(periods))
            ]
        return found


def _periods(today: date, granularity: Granularity, count: int) -> list[Window]:
    """The `count` periods up to and including the current one."""
    start = today
    for _ in range(count * 31):  # walk back far enough to hold `count` whole periods
        start -= timedelta(days=1)
        if len(Window(start, today).buckets(granularity)) > count:
            break
    return Window(start, today).buckets(granularity)[-count:]


def _cohort(
    index: int,
    periods: list[Window],
    starts: list[date],
    members: list[tuple[int, datetime]],
    days: dict[int, list[date]],
) -> Cohort:
    period = periods[index]
    cohort = [m for m, joined in members if period.first <= as_utc(joined).date() <= period.last]
    retained = []
    for later in range(index, len(periods)):
        still = sum(
            any(bisect_right(starts, d) - 1 == later for d in days.get(m, [])) for m in cohort
        )
        retained.append(retention(len(cohort), still))
    return Cohort(period, len(cohort), retained)
