"""GraphQL types of communities: the node, its connection, filters and orderings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.connections import Connection, page_request
from api.enums import AttributionModel, CommunityOrderField, OrderDirection, Platform, Visibility
from api.enums import MetricsGranularity as Granularity
from api.metrics.insights import (
    Influencer,
    OrbitFlow,
    OrbitLevelCount,
    RetentionCohort,
    influencers_of,
    orbit_flow_of,
    orbit_levels_of,
    retention_of,
)
from api.metrics.queries import metrics_of
from api.metrics.types import MetricsReport, MetricsWindowInput
from api.nodes import load_nodes
from domain import entities
from domain.enums import CommunityOrder
from domain.repositories.communities import CommunityFilter as DomainCommunityFilter
from domain.repositories.metrics import Scope

if TYPE_CHECKING:
    from api.campaigns.types import Roi
    from api.content.types import ContentConnection, ContentFilter
    from api.members.types import MembershipConnection, MembershipFilter

CAMPAIGNS_TYPES = "api.campaigns.types"
MEMBERS_TYPES = "api.members.types"
CONTENT_TYPES = "api.content.types"


@strawberry.type(description="Where conversations happen: a platform with a visibility.")
class Community(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str
    platform: Platform
    visibility: Visibility
    archived_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(
        description="Raised by every change; send it back as `expectedVersion` to update safely."
    )

    @classmethod
    def from_row(cls, row: entities.Community) -> Community:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            platform=Platform(row.platform),
            visibility=Visibility(row.visibility),
            archived_at=row.archived_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        loader = info.context.loaders.communities.communities
        return await load_nodes(loader, cls.from_row, node_ids)

    @strawberry.field(description="Whether the community is archived (read-only).")
    def archived(self) -> bool:
        return self.archived_at is not None

    @strawberry.field(
        description="Conversion value credited to this community's content over the campaign "
        "budget spent here (each campaign's budget split by its content per community)."
    )
    async def roi(
        self, info: strawberry.Info, model: AttributionModel = AttributionModel.LINEAR
    ) -> Annotated[Roi, strawberry.lazy(CAMPAIGNS_TYPES)]:
        from api.campaigns.types import Roi

        context = info.context
        service = context.services.conversions
        found = await context.run(service.community_roi, [self.id], model)
        return Roi.from_domain(model, found[self.id])

    @strawberry.field(description="Who belongs to this community, oldest membership first.")
    async def memberships(
        self,
        info: strawberry.Info,
        filter: Annotated[MembershipFilter, strawberry.lazy(MEMBERS_TYPES)] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Annotated[MembershipConnection, strawberry.lazy(MEMBERS_TYPES)]:
        # Imported here: members' types refer back to communities (a membership's community).
        from api.members.queries import memberships_of

        request = page_request(first, after, last, before)
        return await memberships_of(info, "community_id", self.id, filter, request)

    @strawberry.field(description="Content posted in this community, newest first.")
    async def content(
        self,
        info: strawberry.Info,
        filter: Annotated[ContentFilter, strawberry.lazy(CONTENT_TYPES)] | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Annotated[ContentConnection, strawberry.lazy(CONTENT_TYPES)]:
        from api.content.queries import content_of

        request = page_request(first, after, last, before)
        return await content_of(info, "community_id", self.id, filter, request)

    @strawberry.field(description="Every KPI over a window, a series by bucket, and a comparison.")
    async def metrics(
        self,
        info: strawberry.Info,
        window: MetricsWindowInput,
        granularity: Granularity = Granularity.DAY,
        compare_to: MetricsWindowInput | None = None,
    ) -> MetricsReport:
        return await metrics_of(info, Scope.COMMUNITY, self.id, window, granularity, compare_to)

    @strawberry.field(description="Join cohorts (weeks or months) and the share still active.")
    async def retention(
        self, info: strawberry.Info, cohort: Granularity = Granularity.WEEK, cohorts: int = 8
    ) -> list[RetentionCohort]:
        return await retention_of(info, self.id, cohort, cohorts)

    @strawberry.field(description="Top members by reach and the quality they bring (at most 100).")
    async def influencers(self, info: strawberry.Info, first: int = 10) -> list[Influencer]:
        return await influencers_of(info, self.id, first)

    @strawberry.field(description="Memberships per orbit level, now.")
    async def orbit_levels(self, info: strawberry.Info) -> list[OrbitLevelCount]:
        return await orbit_levels_of(info, self.id)

    @strawberry.field(description="How many memberships moved between orbit levels in a window.")
    async def orbit_flow(
        self, info: strawberry.Info, window: MetricsWindowInput
    ) -> list[OrbitFlow]:
        return await orbit_flow_of(info, self.id, window)


@strawberry.type(description="A page of communities.")
class CommunityConnection(Connection[Community]):
    pass


@strawberry.input(description="What the communities list may be narrowed by.")
class CommunityFilter:
    platform: Platform | None = None
    visibility: Visibility | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the name, case-insensitive."
    )
    include_archived: bool = False

    def to_domain(self) -> DomainCommunityFilter:
        return DomainCommunityFilter(
            platform=self.platform,
            visibility=self.visibility,
            search=self.search,
            include_archived=self.include_archived,
        )


@strawberry.input(description="How the communities list is sorted; ties break by id.")
class CommunityOrderBy:
    field: CommunityOrderField = CommunityOrder.CREATED_AT
    direction: OrderDirection = OrderDirection.ASC
