"""Mutations of campaigns and of content's approval: plan, draft, review, schedule."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.campaigns.types import Campaign, CampaignTask, Conversion
from api.content.types import Content
from api.enums import ContentKind, TaskStatus
from api.errors import UserError
from api.payloads import InputIds, expected_version, perform
from domain.campaigns.conversions import DEFAULT_LOOKBACK_DAYS, ConversionDraft
from domain.campaigns.service import CampaignChanges, CampaignDraft, Objective
from domain.campaigns.tables import Campaign as CampaignRow
from domain.campaigns.tables import CampaignTask as TaskRow
from domain.campaigns.tasks import TaskChanges, TaskDraft
from domain.campaigns.workflow import PlannedContent
from domain.entities import Content as ContentRow


@strawberry.input(description="Reach `target` of KPI `kpi` (a metrics report KPI) by `due`.")
class ObjectiveInput:
    kpi: str
    target: float
    due: datetime

    def to_domain(self) -> Objective:
        return Objective(kpi=self.kpi, target=self.target, due=self.due)


@strawberry.input(description="A campaign to plan.")
class CampaignCreateInput:
    name: str
    objective: ObjectiveInput
    starts_at: datetime
    ends_at: datetime
    budget: float = 0.0
    description: str = ""
    topic_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Fields to change; those left out stay as they are.")
class CampaignUpdateInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    objective: ObjectiveInput | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    budget: float | None = None
    topic_ids: list[strawberry.ID] | None = None
    expected_version: int | None = expected_version()


@strawberry.input
class CampaignCloseInput:
    id: strawberry.ID


@strawberry.input(description="Top-level content written as a draft, for review before it runs.")
class ContentCreateInput:
    community_id: strawberry.ID
    kind: ContentKind
    body: str
    title: str = ""
    campaign_id: strawberry.ID | None = None
    author_id: strawberry.ID | None = None
    topic_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class ContentSubmitInput:
    id: strawberry.ID


@strawberry.input
class ContentApproveInput:
    id: strawberry.ID


@strawberry.input
class ContentRejectInput:
    id: strawberry.ID
    reason: str


@strawberry.input
class ContentScheduleInput:
    id: strawberry.ID
    at: datetime = strawberry.field(description="When to publish; must be in the future.")


@strawberry.input(description="A task of a campaign; `dependsOn` names tasks of the same campaign.")
class CampaignTaskCreateInput:
    campaign_id: strawberry.ID
    title: str
    owner_id: strawberry.ID = strawberry.field(description="A member with a staff role.")
    starts_at: datetime
    due_at: datetime
    depends_on: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input(description="Fields to change; `dependsOn`, when given, replaces the set.")
class CampaignTaskUpdateInput:
    id: strawberry.ID
    title: str | None = None
    owner_id: strawberry.ID | None = None
    starts_at: datetime | None = None
    due_at: datetime | None = None
    status: TaskStatus | None = None
    depends_on: list[strawberry.ID] | None = None


@strawberry.type
class CampaignTaskCreatePayload:
    task: CampaignTask | None
    user_errors: list[UserError]


@strawberry.type
class CampaignTaskUpdatePayload:
    task: CampaignTask | None
    user_errors: list[UserError]


@strawberry.input(description="A conversion; repeating an external id records nothing new.")
class ConversionRecordInput:
    external_id: str
    member_id: strawberry.ID
    value: float
    occurred_at: datetime | None = strawberry.field(
        default=None, description="When it happened; now when left out."
    )
    lookback_days: int = strawberry.field(
        default=DEFAULT_LOOKBACK_DAYS,
        description="How many days of the member's engagement before it earn credit.",
    )


@strawberry.type
class ConversionRecordPayload:
    conversion: Conversion | None = strawberry.field(description="Null for a duplicate.")
    duplicate: bool = strawberry.field(description="The external id was already recorded.")
    user_errors: list[UserError]


@strawberry.type
class CampaignCreatePayload:
    campaign: Campaign | None
    user_errors: list[UserError]


@strawberry.type
class CampaignUpdatePayload:
    campaign: Campaign | None
    user_errors: list[UserError]


@strawberry.type
class CampaignClosePayload:
    campaign: Campaign | None
    user_errors: list[UserError]


@strawberry.type
class ContentCreatePayload:
    content: Content | None
    user_errors: list[UserError]


@strawberry.type
class ContentSubmitPayload:
    content: Content | None
    user_errors: list[UserError]


@strawberry.type
class ContentApprovePayload:
    content: Content | None
    user_errors: list[UserError]


@strawberry.type
class ContentRejectPayload:
    content: Content | None
    user_errors: list[UserError]


@strawberry.type
class ContentSchedulePayload:
    content: Content | None
    user_errors: list[UserError]


def _campaign(row: CampaignRow | None) -> Campaign | None:
    return None if row is None else Campaign.from_row(row)


def _content(row: ContentRow | None) -> Content | None:
    return None if row is None else Content.from_row(row)


def _single(error: UserError) -> UserError:
    """A one-item batch reports `input.items.0.value`; the mutation's input is `input.value`."""
    path = error.field or []
    if path[1:3] == ["items", "0"]:
        path = [path[0], *path[3:]]
    return UserError(field=path, message=error.message, code=error.code)


def _task(row: TaskRow | None) -> CampaignTask | None:
    return None if row is None else CampaignTask.from_row(row)


def _task_ids(ids: InputIds, values: list[strawberry.ID] | None) -> tuple[int, ...] | None:
    return None if values is None else tuple(ids.of(t, "CampaignTask") for t in values)


def _topic_ids(ids: InputIds, values: list[strawberry.ID] | None) -> tuple[int, ...] | None:
    return None if values is None else tuple(ids.of(t, "Topic") for t in values)


@strawberry.type
class CampaignMutation:
    @strawberry.mutation(description="Plan a campaign toward a KPI objective.")
    async def campaign_create(
        self, info: strawberry.Info, input: CampaignCreateInput
    ) -> CampaignCreatePayload:
        ids = InputIds()
        draft = CampaignDraft(
            name=input.name,
            objective=input.objective.to_domain(),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            budget=input.budget,
            description=input.description,
            topic_ids=_topic_ids(ids, input.topic_ids) or (),
        )
        service = info.context.services.campaigns
        row, errors = await perform(info, lambda: service.create(draft))
        return CampaignCreatePayload(campaign=_campaign(row), user_errors=errors)

    @strawberry.mutation(description="Change an open campaign.")
    async def campaign_update(
        self, info: strawberry.Info, input: CampaignUpdateInput
    ) -> CampaignUpdatePayload:
        ids = InputIds()
        campaign_id = ids.of(input.id, "Campaign")
        changes = CampaignChanges(
            name=input.name,
            description=input.description,
            objective=None if input.objective is None else input.objective.to_domain(),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            budget=input.budget,
            topic_ids=_topic_ids(ids, input.topic_ids),
            expected_version=input.expected_version,
        )
        service = info.context.services.campaigns
        row, errors = await perform(info, lambda: service.update(campaign_id, changes))
        return CampaignUpdatePayload(campaign=_campaign(row), user_errors=errors)

    @strawberry.mutation(description="Close a campaign: no more changes or new content.")
    async def campaign_close(
        self, info: strawberry.Info, input: CampaignCloseInput
    ) -> CampaignClosePayload:
        campaign_id = InputIds().of(input.id, "Campaign")
        service = info.context.services.campaigns
        row, errors = await perform(info, lambda: service.close(campaign_id))
        return CampaignClosePayload(campaign=_campaign(row), user_errors=errors)

    @strawberry.mutation(description="Add a task to a campaign.")
    async def campaign_task_create(
        self, info: strawberry.Info, input: CampaignTaskCreateInput
    ) -> CampaignTaskCreatePayload:
        ids = InputIds()
        draft = TaskDraft(
            campaign_id=ids.of(input.campaign_id, "Campaign"),
            title=input.title,
            owner_id=ids.of(input.owner_id, "Member"),
            starts_at=input.starts_at,
            due_at=input.due_at,
            depends_on=_task_ids(ids, input.depends_on) or (),
        )
        service = info.context.services.tasks
        row, errors = await perform(info, lambda: service.create(draft))
        return CampaignTaskCreatePayload(task=_task(row), user_errors=errors)

    @strawberry.mutation(description="Change a task: owner, dates, status or dependencies.")
    async def campaign_task_update(
        self, info: strawberry.Info, input: CampaignTaskUpdateInput
    ) -> CampaignTaskUpdatePayload:
        ids = InputIds()
        task_id = ids.of(input.id, "CampaignTask")
        changes = TaskChanges(
            title=input.title,
            owner_id=ids.maybe(input.owner_id, "Member"),
            starts_at=input.starts_at,
            due_at=input.due_at,
            status=input.status,
            depends_on=_task_ids(ids, input.depends_on),
        )
        service = info.context.services.tasks
        row, errors = await perform(info, lambda: service.update(task_id, changes))
        return CampaignTaskUpdatePayload(task=_task(row), user_errors=errors)

    @strawberry.mutation(description="Record a conversion and attribute it to content.")
    async def conversion_record(
        self, info: strawberry.Info, input: ConversionRecordInput
    ) -> ConversionRecordPayload:
        draft = ConversionDraft(
            external_id=input.external_id,
            value=input.value,
            member_id=InputIds().of(input.member_id, "Member"),
            occurred_at=input.occurred_at,
        )
        service = info.context.services.conversions
        result, errors = await perform(info, lambda: service.record([draft], input.lookback_days))
        rows = result.conversions if result is not None else []
        return ConversionRecordPayload(
            conversion=Conversion.from_row(rows[0]) if rows else None,
            duplicate=bool(result and result.duplicates),
            user_errors=[_single(e) for e in errors],
        )

    @strawberry.mutation(description="Write content as a draft, optionally for a campaign.")
    async def content_create(
        self, info: strawberry.Info, input: ContentCreateInput
    ) -> ContentCreatePayload:
        ids = InputIds()
        planned = PlannedContent(
            community_id=ids.of(input.community_id, "Community"),
            kind=input.kind,
            body=input.body,
            title=input.title,
            campaign_id=ids.maybe(input.campaign_id, "Campaign"),
            author_id=ids.maybe(input.author_id, "Member"),
            topic_ids=_topic_ids(ids, input.topic_ids) or (),
        )
        workflow = info.context.services.workflow
        row, errors = await perform(info, lambda: workflow.create(planned))
        return ContentCreatePayload(content=_content(row), user_errors=errors)

    @strawberry.mutation(description="Ask for review of a draft (or of rejected content).")
    async def content_submit(
        self, info: strawberry.Info, input: ContentSubmitInput
    ) -> ContentSubmitPayload:
        content_id = InputIds().of(input.id, "Content")
        workflow = info.context.services.workflow
        row, errors = await perform(info, lambda: workflow.submit(content_id))
        return ContentSubmitPayload(content=_content(row), user_errors=errors)

    @strawberry.mutation(description="Approve content in review; not by the key that submitted it.")
    async def content_approve(
        self, info: strawberry.Info, input: ContentApproveInput
    ) -> ContentApprovePayload:
        content_id = InputIds().of(input.id, "Content")
        workflow = info.context.services.workflow
        row, errors = await perform(info, lambda: workflow.approve(content_id))
        return ContentApprovePayload(content=_content(row), user_errors=errors)

    @strawberry.mutation(description="Send content in review back with a reason.")
    async def content_reject(
        self, info: strawberry.Info, input: ContentRejectInput
    ) -> ContentRejectPayload:
        content_id = InputIds().of(input.id, "Content")
        workflow = info.context.services.workflow
        row, errors = await perform(info, lambda: workflow.reject(content_id, input.reason))
        return ContentRejectPayload(content=_content(row), user_errors=errors)

    @strawberry.mutation(description="Schedule approved content; the scheduler publishes it.")
    async def content_schedule(
        self, info: strawberry.Info, input: ContentScheduleInput
    ) -> ContentSchedulePayload:
        content_id = InputIds().of(input.id, "Content")
        workflow = info.context.services.workflow
        row, errors = await perform(info, lambda: workflow.schedule(content_id, input.at))
        return ContentSchedulePayload(content=_content(row), user_errors=errors)
