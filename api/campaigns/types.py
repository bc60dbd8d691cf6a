"""GraphQL types of campaigns and the content calendar."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry import relay

from api.connections import Connection, page_request
from api.enums import AttributionModel, CampaignStatus, TaskStatus
from api.errors import or_query_error
from api.ids import encode_id
from api.nodes import load_nodes
from api.organizations.types import Topic
from domain.campaigns.calendar import CalendarItem as DomainCalendarItem
from domain.campaigns.conversions import Roi as DomainRoi
from domain.campaigns.service import status_of
from domain.campaigns.tables import Campaign as CampaignRow
from domain.campaigns.tables import CampaignTask as TaskRow
from domain.campaigns.tables import Conversion as ConversionRow
from domain.campaigns.timeline import Progress
from domain.campaigns.timeline import TimelineItem as DomainTimelineItem
from domain.timeutil import utcnow

if TYPE_CHECKING:
    from api.content.types import Content, ContentConnection
    from api.members.types import Member

CONTENT_TYPES = "api.content.types"
MEMBERS_TYPES = "api.members.types"


@strawberry.enum(description="What a timeline item stands for.")
class TimelineItemKind(StrEnum):
    TASK = "task"
    CONTENT = "content"


@strawberry.type(description="A piece of work of a campaign, with an owner, dates, dependencies.")
class CampaignTask(relay.Node):
    id: relay.NodeID[int]
    title: str
    status: TaskStatus
    starts_at: datetime
    due_at: datetime
    created_at: datetime
    updated_at: datetime
    owner_id: strawberry.Private[int]
    campaign_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: TaskRow) -> CampaignTask:
        assert row.id is not None
        return cls(
            id=row.id,
            title=row.title,
            status=TaskStatus(row.status),
            starts_at=row.starts_at,
            due_at=row.due_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            owner_id=row.owner_member_id,
            campaign_id=row.campaign_id,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info.context.loaders.campaigns.tasks, cls.from_row, node_ids)

    @strawberry.field(description="The staff member who owns it.")
    async def owner(
        self, info: strawberry.Info
    ) -> Annotated[Member, strawberry.lazy(MEMBERS_TYPES)] | None:
        from api.members.types import Member

        row = await info.context.loaders.members.members.load(self.owner_id)
        return None if row is None else Member.from_row(row)

    @strawberry.field(description="The tasks that must be done before this one.")
    async def depends_on(self, info: strawberry.Info) -> list[CampaignTask]:
        ids = await info.context.loaders.campaigns.task_dependencies.load(self.id)
        rows = await info.context.loaders.campaigns.tasks.load_many(ids)
        return [CampaignTask.from_row(row) for row in rows if row is not None]

    @strawberry.field
    async def campaign(self, info: strawberry.Info) -> Campaign | None:
        row = await info.context.loaders.campaigns.campaigns.load(self.campaign_id)
        return None if row is None else Campaign.from_row(row)


@strawberry.type(description="One bar of a Gantt chart (a milestone when start equals end).")
class TimelineItem:
    id: strawberry.ID = strawberry.field(description="The global id of the task or content.")
    kind: TimelineItemKind
    title: str
    status: str = strawberry.field(description="The task's or the content's status, lower case.")
    start: datetime
    end: datetime
    depends_on: list[strawberry.ID] = strawberry.field(
        description="Global ids of the tasks this one waits for."
    )

    @classmethod
    def from_item(cls, item: DomainTimelineItem) -> TimelineItem:
        type_name = "CampaignTask" if item.kind == "task" else "Content"
        return cls(
            id=strawberry.ID(encode_id(type_name, item.row_id)),
            kind=TimelineItemKind(item.kind),
            title=item.title,
            status=item.status,
            start=item.start,
            end=item.end,
            depends_on=[strawberry.ID(encode_id("CampaignTask", i)) for i in item.depends_on],
        )


@strawberry.type(description="A member's conversion, credited to content by attribution.")
class Conversion:
    id: strawberry.ID
    external_id: str
    value: float
    occurred_at: datetime
    lookback_days: int

    @classmethod
    def from_row(cls, row: ConversionRow) -> Conversion:
        assert row.id is not None
        return cls(
            id=strawberry.ID(encode_id("Conversion", row.id)),
            external_id=row.external_id,
            value=row.value,
            occurred_at=row.occurred_at,
            lookback_days=row.lookback_days,
        )


@strawberry.type(description="Return on investment: credited conversion value over cost.")
class Roi:
    model: AttributionModel
    conversions: int = strawberry.field(description="Conversions with any credit here.")
    value: float = strawberry.field(description="Conversion value credited here.")
    cost: float
    roi: float | None = strawberry.field(description="value / cost; null when nothing was spent.")

    @classmethod
    def from_domain(cls, model: AttributionModel, found: DomainRoi) -> Roi:
        return cls(
            model=model,
            conversions=found.conversions,
            value=found.value,
            cost=found.cost,
            roi=found.roi,
        )


@strawberry.type(description="How far the campaign is toward its objective, from the KPI engine.")
class CampaignProgress:
    kpi: str
    target: float
    value: float = strawberry.field(description="The KPI over the campaign's content so far.")
    ratio: float = strawberry.field(description="value / target (1 means reached).")
    due: datetime
    conversions: int
    conversion_value: float
    roi: float | None = strawberry.field(description="Conversion value over the budget spent.")

    @classmethod
    def from_progress(cls, progress: Progress) -> CampaignProgress:
        summary = progress.summary
        return cls(
            kpi=progress.kpi,
            target=progress.target,
            value=progress.value,
            ratio=progress.ratio,
            due=progress.due,
            conversions=summary.conversions,
            conversion_value=summary.conversion_value,
            roi=summary.roi,
        )


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
    version: int = strawberry.field(
        description="Raised by every change; send it back as `expectedVersion` to update safely."
    )
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
            version=row.version,
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

    @strawberry.field(description="Tasks and content with dates and dependencies, by start.")
    async def timeline(self, info: strawberry.Info) -> list[TimelineItem]:
        context = info.context
        service = context.services.campaigns
        items = await or_query_error(lambda: context.run(service.timeline, self.id))
        return [TimelineItem.from_item(item) for item in items]

    @strawberry.field(description="Credited conversion value over the campaign's budget.")
    async def roi(
        self, info: strawberry.Info, model: AttributionModel = AttributionModel.LINEAR
    ) -> Roi:
        context = info.context
        service = context.services.conversions
        found = await context.run(service.campaign_roi, [self.id], model)
        return Roi.from_domain(model, found[self.id])

    @strawberry.field(description="Progress toward the objective so far.")
    async def progress(self, info: strawberry.Info) -> CampaignProgress:
        context = info.context
        service = context.services.campaigns
        found = await or_query_error(lambda: context.run(service.progress, self.id))
        return CampaignProgress.from_progress(found)


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
