"""GraphQL types of the tenant roots: Organization, Topic and the Viewer."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import strawberry
from strawberry import relay

from api.enums import MetricsGranularity as Granularity
from api.enums import Role
from api.metrics.queries import metrics_of
from api.metrics.types import MetricsReport, MetricsWindowInput
from api.nodes import load_nodes
from domain import entities
from domain.repositories.metrics import Scope


@strawberry.type(description="A subject in the organization's vocabulary.")
class Topic(relay.Node):
    id: relay.NodeID[int]
    slug: str
    name: str
    keywords: list[str]
    strategic: bool = strawberry.field(description="Whether the brand has an edge here.")
    advantage: float = strawberry.field(description="Competitive-advantage weight, 0 to 1.")
    created_at: datetime

    @classmethod
    def from_row(cls, row: entities.Topic) -> Topic:
        assert row.id is not None
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            keywords=list(row.keywords),
            strategic=row.strategic,
            advantage=row.advantage,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.organizations.topics, cls.from_row, node_ids)


@strawberry.type(description="The brand, and the boundary of everything it can see.")
class Organization(relay.Node):
    id: relay.NodeID[int]
    slug: str
    name: str
    created_at: datetime

    @classmethod
    def from_row(cls, row: entities.Organization) -> Organization:
        assert row.id is not None
        return cls(id=row.id, slug=row.slug, name=row.name, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        loader = info.context.loaders.organizations.organizations
        return await load_nodes(loader, cls.from_row, node_ids)

    @strawberry.field(description="The organization's topics, in the order they were added.")
    async def topics(self, info: strawberry.Info) -> list[Topic]:
        context = info.context
        rows = await context.run(context.services.organizations.topics, self.id)
        return [Topic.from_row(row) for row in rows]

    @strawberry.field(description="Every KPI across all communities (members counted once).")
    async def metrics(
        self,
        info: strawberry.Info,
        window: MetricsWindowInput,
        granularity: Granularity = Granularity.DAY,
        compare_to: MetricsWindowInput | None = None,
    ) -> MetricsReport:
        return await metrics_of(info, Scope.ORGANIZATION, self.id, window, granularity, compare_to)


@strawberry.type(description="Who is calling: the key's organization and role.")
class Viewer:
    role: Role
    organization_id: strawberry.Private[int]

    @strawberry.field
    async def organization(self, info: strawberry.Info) -> Organization:
        row = await info.context.loaders.organizations.organizations.load(self.organization_id)
        return Organization.from_row(row)
