"""Planning campaigns: create, change and close them, and list them for an organization."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from domain.campaigns.calendar import CalendarItem, calendar
from domain.campaigns.conversions import ConversionService
from domain.campaigns.repositories import CampaignRepository, TaskRepository
from domain.campaigns.tables import Campaign
from domain.campaigns.timeline import (
    Progress,
    TimelineItem,
    campaign_content,
    campaign_totals,
    content_item,
    progress_of,
    task_item,
    window_end,
)
from domain.concurrency import next_version
from domain.db import transaction
from domain.enums import AttributionModel, CampaignStatus
from domain.errors import NotFound, ValidationFailed
from domain.metrics.report import KPI_NAMES, WindowInputs
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.organizations import TopicRepository
from domain.timeutil import as_utc, utcnow
from domain.validation import Problems

MAX_TOPICS = 10
CAMPAIGN_ORDER = Ordering((Campaign.created_at, Campaign.id), descending=True)


@dataclass(frozen=True)
class Objective:
    """Reach `target` of KPI `kpi` (a name of domain.metrics.report.KPI_NAMES) by `due`."""

    kpi: str
    target: float
    due: datetime


@dataclass(frozen=True)
class CampaignDraft:
    name: str
    objective: Objective
    starts_at: datetime
    ends_at: datetime
    budget: float = 0.0
    description: str = ""
    topic_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class CampaignChanges:
    """Fields to change; `None` leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    objective: Objective | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    budget: float | None = None
    topic_ids: tuple[int, ...] | None = None
    # The version the caller read; another version is a CONFLICT (None: no check).
    expected_version: int | None = None


def status_of(campaign: Campaign, now: datetime) -> CampaignStatus:
    """Planned until it starts, active from then until it is closed (ending does not close)."""
    if campaign.status == CampaignStatus.CLOSED.value:
        return CampaignStatus.CLOSED
    return CampaignStatus.ACTIVE if now >= campaign.starts_at else CampaignStatus.PLANNED


# What a campaign can be measured by: its own content, the engagement on it and the conversions
# credited to it. Audience KPIs (engagement rate, stickiness, churn...) belong to a community.
CAMPAIGN_KPIS = (
    "posts", "engagements", "likes", "comments", "shares", "amplification_rate",
    "conversation_rate", "applause_rate", "quality_weighted_engagement", "conversions",
    "conversion_value", "roi",
)  # fmt: skip


def _check_objective(objective: Objective | None, problems: Problems) -> None:
    if objective is None:
        return
    if objective.kpi not in CAMPAIGN_KPIS:
        known = "unknown KPI" if objective.kpi not in KPI_NAMES else "not a campaign KPI"
        problems.add(
            "objective.kpi",
            f"{known} {objective.kpi!r}; a campaign is measured by one of "
            + ", ".join(CAMPAIGN_KPIS),
            "UNKNOWN_KPI",
        )
    if math.isnan(objective.target) or math.isinf(objective.target):
        problems.add("objective.target", "`target` must be a number", "INVALID")


def _check_fields(
    name: str | None, description: str | None, budget: float | None, topic_ids: Sequence[int] | None
) -> Problems:
    problems = Problems()
    problems.text("name", name, low=1, high=200)
    problems.text("description", description, low=0, high=2000)
    if budget is not None and (math.isnan(budget) or not 0 <= budget < 1e15):
        problems.add("budget", "`budget` must be zero or more", "OUT_OF_RANGE")
    if topic_ids is not None:
        if len(topic_ids) > MAX_TOPICS:
            problems.add("topicIds", f"at most {MAX_TOPICS} topics", "TOO_MANY")
        if len(set(topic_ids)) != len(topic_ids):
            problems.add("topicIds", "a topic may appear once", "DUPLICATE")
    return problems


def _check_dates(starts_at: datetime, ends_at: datetime, problems: Problems) -> None:
    if as_utc(ends_at) <= as_utc(starts_at):
        problems.add("endsAt", "a campaign must end after it starts", "ENDS_BEFORE_START")


class CampaignService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id
        self.repo = CampaignRepository(session, organization_id)
        self.topics = TopicRepository(session, organization_id)

    async def create(self, draft: CampaignDraft) -> Campaign:
        problems = _check_fields(draft.name, draft.description, draft.budget, draft.topic_ids)
        _check_objective(draft.objective, problems)
        _check_dates(draft.starts_at, draft.ends_at, problems)
        await self._check_topics(draft.topic_ids, problems)
        problems.raise_if_any()
        async with transaction(self.session):
            campaign = self.repo.add(
                Campaign(
                    organization_id=self.organization_id,
                    name=draft.name.strip(),
                    description=draft.description,
                    objective_kpi=draft.objective.kpi,
                    objective_target=draft.objective.target,
                    objective_due=as_utc(draft.objective.due),
                    topic_ids=list(draft.topic_ids),
                    budget=draft.budget,
                    starts_at=as_utc(draft.starts_at),
                    ends_at=as_utc(draft.ends_at),
                    status=CampaignStatus.PLANNED.value,
                )
            )
            await self.session.flush()
        return campaign

    async def update(self, campaign_id: int, changes: CampaignChanges) -> Campaign:
        problems = _check_fields(
            changes.name, changes.description, changes.budget, changes.topic_ids
        )
        _check_objective(changes.objective, problems)
        if changes.topic_ids is not None:
            await self._check_topics(changes.topic_ids, problems)
        problems.raise_if_any()
        async with transaction(self.session):
            campaign = await self._open(campaign_id)
            _apply(campaign, changes)
            problems = Problems()
            _check_dates(campaign.starts_at, campaign.ends_at, problems)
            problems.raise_if_any()
            await self._touch(campaign, changes.expected_version)
        return campaign

    async def close(self, campaign_id: int) -> Campaign:
        async with transaction(self.session):
            campaign = await self._open(campaign_id)
            campaign.status = CampaignStatus.CLOSED.value
            campaign.closed_at = utcnow()
            await self._touch(campaign)
        return campaign

    async def _open(self, campaign_id: int) -> Campaign:
        campaign = await self.repo.get(campaign_id)
        if campaign is None:
            raise NotFound.of("id", "campaign")
        if campaign.status == CampaignStatus.CLOSED.value:
            raise ValidationFailed.single("id", "the campaign is closed", "CLOSED")
        return campaign

    async def _touch(self, campaign: Campaign, expected_version: int | None = None) -> None:
        campaign.updated_at = utcnow()
        await next_version(self.session, campaign, expected_version, "campaign")
        self.session.add(campaign)

    async def _check_topics(self, topic_ids: Sequence[int], problems: Problems) -> None:
        known = await self.topics.existing_ids(topic_ids)
        for index, topic_id in enumerate(topic_ids):
            if topic_id not in known:
                problems.add(f"topicIds.{index}", "topic not found", "NOT_FOUND")

    async def calendar(
        self, start: datetime, end: datetime, community_ids: Sequence[int] | None = None
    ) -> list[CalendarItem]:
        return await calendar(self.session, self.organization_id, start, end, community_ids)

    async def timeline(self, campaign_id: int) -> list[TimelineItem]:
        """Tasks and content of the campaign in start order, with task dependencies."""
        campaign = await self._get(campaign_id)
        tasks = await TaskRepository(self.session, self.organization_id).of_campaigns([campaign_id])
        repo = TaskRepository(self.session, self.organization_id)
        depends = await repo.dependencies([t.id for t in tasks if t.id is not None])
        items = [task_item(t, depends.get(t.id or 0, [])) for t in tasks]
        items += [content_item(c) for c in await campaign_content(self.session, campaign)]
        return sorted(items, key=lambda item: (item.start, item.kind, item.row_id))

    async def progress(self, campaign_id: int, now: datetime | None = None) -> Progress:
        """The objective KPI of the campaign so far, from the KPI engine's formulas."""
        campaign = await self._get(campaign_id)
        content = await campaign_content(self.session, campaign)
        totals = await campaign_totals(self.session, campaign, content, window_end(campaign, now))
        conversions = ConversionService(self.session, self.organization_id)
        credited = await conversions.credits("campaign_id", [campaign_id], AttributionModel.LINEAR)
        count, value = credited[campaign_id]
        inputs = WindowInputs(
            totals=totals,
            conversions=count,
            conversion_value=value,
            cost=campaign.budget or None,
        )
        return progress_of(campaign, inputs)

    async def _get(self, campaign_id: int) -> Campaign:
        campaign = await self.repo.get(campaign_id)
        if campaign is None:
            raise NotFound.of("id", "campaign")
        return campaign

    async def get_many(self, campaign_ids: Sequence[int]) -> dict[int, Campaign]:
        return await self.repo.get_many(campaign_ids)

    async def page(self, request: PageRequest) -> Page[Campaign]:
        return await self.repo.page(self.repo.scoped(), CAMPAIGN_ORDER, request)

    async def total(self) -> int:
        return await self.repo.count(self.repo.scoped())


def _apply(campaign: Campaign, changes: CampaignChanges) -> None:
    if changes.name is not None:
        campaign.name = changes.name.strip()
    for name in ("description", "budget"):
        value = getattr(changes, name)
        if value is not None:
            setattr(campaign, name, value)
    if changes.starts_at is not None:
        campaign.starts_at = as_utc(changes.starts_at)
    if changes.ends_at is not None:
        campaign.ends_at = as_utc(changes.ends_at)
    if changes.topic_ids is not None:
        campaign.topic_ids = list(changes.topic_ids)
    if changes.objective is not None:
        campaign.objective_kpi = changes.objective.kpi
        campaign.objective_target = changes.objective.target
        campaign.objective_due = as_utc(changes.objective.due)
