"""GraphQL types of campaigns and the content calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.connections import Connection, page_request
from api.enums import CampaignStatus
from api.nodes import load_nodes
from api.organizations.types import Topic
from domain.campaigns.calendar import CalendarItem as DomainCalendarItem
from domain.campaigns.service import status_of
from domain.campaigns.tables import Campaign as CampaignRow
from domain.timeutil import utcnow

if TYPE_CHECKING:
    from api.content.types import Content, ContentConnection

CONTENT_TYPES = "api.content.types"


@strawberry.type(description="Reach `target` of KPI `kpi` by `due`.")
class Objective:
    kpi: str = strawberry.field(description="A KPI name of the metrics report, e.g. engagements.")
    target: float
    due: datetime


@strawberry.type(description="A planned push toward one KPI target, with its content.")
class Campaign(relay.Node):
    id: relay.NodeID[int]
    name: str
    description: str
    objective: Objective
    budget: float
    starts_at: datetime
    ends_at: datetime
    status: CampaignStatus
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    topic_ids: strawberry.Private[list[int]]

    @classmethod
    def from_row(cls, row: CampaignRow) -> Campaign:
        assert row.id is not None
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            objective=Objective(
                kpi=row.objective_kpi, target=row.objective_target, due=row.objective_due
            ),
            budget=row.budget,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=status_of(row, utcnow()),
            closed_at=row.closed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            topic_ids=list(row.topic_ids),
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.campaigns.campaigns, cls.from_row, node_ids)

    @strawberry.field(description="The topics the campaign is about.")
    async def topics(self, info: strawberry.Info) -> list[Topic]:
        rows = await info.context.loaders.organizations.topics.load_many(self.topic_ids)
        return [Topic.from_row(row) for row in rows if row is not None]

    @strawberry.field(description="Content attached to the campaign, newest first.")
    async def content(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Annotated[ContentConnection, strawberry.lazy(CONTENT_TYPES)]:
        from api.content.queries import content_of

        request = page_request(first, after, last, before)
        return await content_of(info, "campaign_id", self.id, None, request)


@strawberry.type(description="A page of campaigns.")
class CampaignConnection(Connection[Campaign]):
    pass


@strawberry.type(description="One dated item of the calendar: scheduled or published content.")
class CalendarItem:
    at: datetime = strawberry.field(description="When it is scheduled, or when it was published.")
    content_row: strawberry.Private[Any]

    @classmethod
    def from_item(cls, item: DomainCalendarItem) -> CalendarItem:
        return cls(at=item.at, content_row=item.content)

    @strawberry.field
    def content(self) -> Annotated[Content, strawberry.lazy(CONTENT_TYPES)]:
        from api.content.types import Content

        return Content.from_row(self.content_row)
