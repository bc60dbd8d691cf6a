"""GraphQL types and resolvers of retention cohorts, influencers and orbit levels and flow."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.batching import cached
from api.enums import MetricsGranularity
from api.errors import query_error
from api.metrics.types import MetricsWindowInput
from api.selection import selected_fields
from domain.errors import DomainError
from domain.repositories.insights import RankedInfluence
from domain.services.insights import Cohort

if TYPE_CHECKING:
    from api.members.types import Member

MEMBERS_TYPES = "api.members.types"


@strawberry.type(description="Members who joined in one period and how many stayed active.")
class RetentionCohort:
    first_day: date = strawberry.field(description="First day of the joining period.")
    last_day: date
    size: int = strawberry.field(description="Memberships that joined in the period.")
    retained: list[float] = strawberry.field(
        description="Share of the cohort that engaged in each period since, starting with the "
        "joining period itself (index 0), up to the current period."
    )

    @classmethod
    def of(cls, cohort: Cohort) -> RetentionCohort:
        window = cohort.window
        return cls(
            first_day=window.first, last_day=window.last, size=cohort.size, retained=cohort.retained
        )


def _as_member(row: Any) -> Any:
    from api.members.types import Member

    return None if row is None else Member.from_row(row)


async def _member(pending: Awaitable[Any]) -> Any:
    return _as_member(await pending)


@strawberry.type(description="A member ranked by reach and the quality of engagement they bring.")
class Influencer:
    rank: int
    reach: float = strawberry.field(description="PageRank over the follow graph x members.")
    engagement_quality: float = strawberry.field(
        description="Quality-weighted engagement their content drew here in the last 90 days."
    )
    score: float = strawberry.field(description="reach x (1 + ln(1 + engagementQuality)).")
    computed_at: datetime
    member_id: strawberry.Private[int]

    @strawberry.field
    def member(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        # Synchronous when `influencers_of` batched the ranking's members with it.
        loader = info.context.loaders.members.members
        hit, row = cached(loader, self.member_id)
        if not hit:
            return _member(loader.load(self.member_id))  # type: ignore[return-value]
        return _as_member(row)

    @classmethod
    def of(cls, rank: int, row: RankedInfluence) -> Influencer:
        return cls(
            rank=rank, reach=row.reach, engagement_quality=row.quality, score=row.score,
            computed_at=row.computed_at, member_id=row.member_id,
        )  # fmt: skip


@strawberry.type(description="Memberships that moved from one orbit level to another.")
class OrbitFlow:
    from_level: int
    to_level: int
    count: int


@strawberry.type(description="Memberships at one orbit level (1 = core ... 4 = observers).")
class OrbitLevelCount:
    level: int
    count: int


async def retention_of(
    info: strawberry.Info, community_id: int, cohort: MetricsGranularity, cohorts: int
) -> list[RetentionCohort]:
    try:
        found = await info.context.loaders.insights.retention.load((community_id, cohort, cohorts))
    except DomainError as error:
        raise query_error(error) from error
    return [RetentionCohort.of(c) for c in found]


async def influencers_of(info: strawberry.Info, community_id: int, first: int) -> list[Influencer]:
    try:
        rows = await info.context.loaders.insights.influencers.load((community_id, first))
    except DomainError as error:
        raise query_error(error) from error
    if any(field.name.value == "member" for field in selected_fields(info)):
        # One batch of every ranking's members now, so each `member` answers at once.
        await info.context.loaders.members.members.load_many({row.member_id for row in rows})
    return [Influencer.of(rank, row) for rank, row in enumerate(rows, start=1)]


async def orbit_flow_of(
    info: strawberry.Info, community_id: int, window: MetricsWindowInput
) -> list[OrbitFlow]:
    try:
        days = window.to_domain("window")
    except DomainError as error:
        raise query_error(error) from error
    flows = await info.context.loaders.insights.orbit_flow.load((community_id, days))
    return [OrbitFlow(from_level=a, to_level=b, count=n) for a, b, n in flows]


async def orbit_levels_of(info: strawberry.Info, community_id: int) -> list[OrbitLevelCount]:
    levels = await info.context.loaders.insights.orbit_levels.load(community_id)
    return [OrbitLevelCount(level=level, count=levels.get(level, 0)) for level in (1, 2, 3, 4)]
