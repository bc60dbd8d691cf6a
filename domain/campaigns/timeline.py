"""A campaign's timeline (tasks and content with dates and dependencies) and its progress.

Progress comes from the KPI engine: the campaign's own totals (its published content, the
engagement on it and, once recorded, the conversions attributed to it) are counted exactly as
the daily rollups count them (`domain.rollups.daily`) and turned into KPIs by
`domain.metrics.report.summarize`, so a campaign's `engagements` means what a community's does.
KPIs that need an audience (engagement rate, stickiness, churn) have none of a campaign's own
and read 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.campaigns.tables import Campaign, CampaignTask
from domain.entities import Content, Engagement
from domain.metrics.base import safe_ratio
from domain.metrics.report import Summary, Totals, WindowInputs, summarize
from domain.rollups.daily import ENGAGEMENT_COLUMNS, content_counts
from domain.timeutil import utcnow


@dataclass(frozen=True)
class TimelineItem:
    """One bar (or milestone, when start == end) of a Gantt chart."""

    kind: str  # "task" or "content"
    row_id: int
    title: str
    status: str
    start: datetime
    end: datetime
    depends_on: tuple[int, ...] = ()


@dataclass(frozen=True)
class Progress:
    kpi: str
    target: float
    value: float
    ratio: float
    due: datetime
    summary: Summary


def task_item(task: CampaignTask, depends_on: Sequence[int]) -> TimelineItem:
    assert task.id is not None
    return TimelineItem(
        "task", task.id, task.title, task.status, task.starts_at, task.due_at, tuple(depends_on)
    )


def content_item(content: Content) -> TimelineItem:
    """Content is a milestone on the day it runs: published, scheduled, or (unplanned) made."""
    assert content.id is not None
    when = content.published_at or content.scheduled_at or content.created_at
    return TimelineItem("content", content.id, content.title, content.status, when, when)


async def campaign_content(session: AsyncSession, campaign: Campaign) -> list[Content]:
    stmt = (
        select(Content)
        .where(
            col(Content.organization_id) == campaign.organization_id,
            col(Content.campaign_id) == campaign.id,
            col(Content.deleted_at).is_(None),
        )
        .order_by(col(Content.created_at), col(Content.id))
    )
    return list((await session.scalars(stmt)).all())


async def campaign_totals(
    session: AsyncSession, campaign: Campaign, content: Sequence[Content], until: datetime
) -> Totals:
    """The rollup counts of the campaign's content and of engagement on it in its window."""
    counts: dict[str, float] = {}
    for row in content:
        if row.published_at is not None and campaign.starts_at <= row.published_at < until:
            for name, value in content_counts(row).items():
                counts[name] = counts.get(name, 0) + value
    ids = [row.id for row in content]
    if ids:
        stmt = (
            select(
                Engagement.kind, func.count(), func.coalesce(func.sum(Engagement.quality_weight), 0)
            )
            .where(
                col(Engagement.organization_id) == campaign.organization_id,
                col(Engagement.content_id).in_(ids),
                col(Engagement.occurred_at) >= campaign.starts_at,
                col(Engagement.occurred_at) < until,
            )
            .group_by(Engagement.kind)
        )
        for kind, count, weight in (await session.execute(stmt)).all():
            column = ENGAGEMENT_COLUMNS[kind]
            counts[column] = counts.get(column, 0) + count
            counts["quality_weighted"] = counts.get("quality_weighted", 0) + float(weight)
    totals = Totals()
    for name, value in counts.items():
        setattr(totals, name, value if name == "quality_weighted" else int(value))
    return totals


def progress_of(campaign: Campaign, inputs: WindowInputs) -> Progress:
    summary = summarize(inputs)
    raw = getattr(summary, campaign.objective_kpi)
    value = float(raw) if raw is not None else 0.0
    return Progress(
        kpi=campaign.objective_kpi,
        target=campaign.objective_target,
        value=value,
        ratio=safe_ratio(value, campaign.objective_target),
        due=campaign.objective_due,
        summary=summary,
    )


def window_end(campaign: Campaign, now: datetime | None = None) -> datetime:
    """Progress counts what happened from the start until now, or until the end if earlier."""
    return min(now or utcnow(), campaign.ends_at)
