"""The content calendar: scheduled and published items of a period, in date order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.entities import Content
from domain.enums import ContentStatus
from domain.errors import ValidationFailed
from domain.repositories.content import ContentRepository
from domain.timeutil import as_utc

MAX_CALENDAR_DAYS = 366
MAX_CALENDAR_ITEMS = 1000
MAX_COMMUNITIES = 100


@dataclass(frozen=True)
class CalendarItem:
    """One dated item: when it is (or was) due to appear, and the content."""

    at: datetime
    content: Content


def _check_period(start: datetime, end: datetime, community_ids: Sequence[int] | None) -> None:
    if end <= start:
        raise ValidationFailed.single("to", "`to` must be after `from`", "ENDS_BEFORE_START")
    if end - start > timedelta(days=MAX_CALENDAR_DAYS):
        raise ValidationFailed.single(
            "to", f"a calendar spans at most {MAX_CALENDAR_DAYS} days", "OUT_OF_RANGE"
        )
    if community_ids is not None and len(community_ids) > MAX_COMMUNITIES:
        raise ValidationFailed.single(
            "communityIds", f"at most {MAX_COMMUNITIES} communities", "TOO_MANY"
        )


async def calendar(
    session: AsyncSession,
    organization_id: int,
    start: datetime,
    end: datetime,
    community_ids: Sequence[int] | None = None,
) -> list[CalendarItem]:
    """Items scheduled or published in [start, end), oldest first, at most MAX_CALENDAR_ITEMS."""
    start, end = as_utc(start), as_utc(end)
    _check_period(start, end, community_ids)
    scheduled = and_(
        col(Content.status) == ContentStatus.SCHEDULED.value,
        col(Content.scheduled_at) >= start,
        col(Content.scheduled_at) < end,
    )
    published = and_(
        col(Content.status) == ContentStatus.PUBLISHED.value,
        col(Content.parent_id).is_(None),
        col(Content.published_at) >= start,
        col(Content.published_at) < end,
    )
    at = func.coalesce(Content.published_at, Content.scheduled_at)
    stmt = ContentRepository(session, organization_id).live().where(or_(scheduled, published))
    if community_ids is not None:
        stmt = stmt.where(col(Content.community_id).in_(list(community_ids)))
    stmt = stmt.order_by(at, col(Content.id)).limit(MAX_CALENDAR_ITEMS)
    rows = (await session.scalars(stmt)).all()
    return [CalendarItem(_date_of(row), row) for row in rows]


def _date_of(content: Content) -> datetime:
    when = content.published_at or content.scheduled_at
    assert when is not None
    return when
