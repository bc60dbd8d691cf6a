"""Recompute the daily rollups of communities from raw rows alone.

Used by `townsquare rollups rebuild`, by the bulk seed after it writes, and by tests that check
the incremental rollups against a recomputation. Each community is rebuilt in its caller's
transaction: its old rollup rows are deleted and the recomputed ones inserted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, insert, literal, select
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.bulk import defer_indexes
from domain.db import Database
from domain.entities import Community, Content, Engagement, Membership
from domain.errors import NotFound
from domain.metrics.sentiment import NEUTRAL_BAND
from domain.rollups import bitmaps
from domain.rollups.daily import (
    ENGAGEMENT_COLUMNS,
    Tally,
    as_date,
    content_counts,
    membership_counts,
    table_of,
)
from domain.rollups.tables import CommunityDaily, MemberActivityDay

ProgressCallback = Callable[[int, int], None]


def day_expression(dialect: str, column: Any) -> ColumnElement[Any]:
    """The UTC day of a timestamp column, in SQL (SQLite stores UTC text already)."""
    if dialect == "postgresql":
        return func.date(func.timezone("UTC", column))
    return func.date(column)


async def community_ids(connection: AsyncConnection, organization_id: int | None) -> list[int]:
    """Every community, or one organization's, in id order."""
    table = table_of(Community)
    stmt = select(table.c.id).order_by(table.c.id)
    if organization_id is not None:
        stmt = stmt.where(table.c.organization_id == organization_id)
    return [int(i) for i in (await connection.scalars(stmt)).all()]


async def rebuild_communities(
    connection: AsyncConnection,
    ids: Sequence[int],
    on_progress: ProgressCallback | None = None,
) -> int:
    """Recompute the rollups of the communities `ids`; how many day rows were written."""
    written = 0
    for done, community_id in enumerate(ids, start=1):
        written += await rebuild_community(connection, community_id)
        if on_progress is not None:
            on_progress(done, len(ids))
    return written


async def rebuild_community(connection: AsyncConnection, community_id: int) -> int:
    daily, activity = table_of(CommunityDaily), table_of(MemberActivityDay)
    await connection.execute(delete(daily).where(daily.c.community_id == community_id))
    await connection.execute(delete(activity).where(activity.c.community_id == community_id))
    await _rebuild_activity(connection, community_id)
    await bitmaps.rebuild_community(connection, community_id)
    tally = Tally()
    await _tally_engagement(connection, community_id, tally)
    await _tally_activity(connection, community_id, tally)
    await _tally_content(connection, community_id, tally)
    await _tally_memberships(connection, community_id, tally)
    rows = tally.rows()
    if rows:
        await connection.execute(insert(daily), rows)
    return len(rows)


async def _rebuild_activity(connection: AsyncConnection, community_id: int) -> None:
    engagement, activity = table_of(Engagement), table_of(MemberActivityDay)
    # Inside a bulk seed, an empty table is filled first and indexed after (its two secondary
    # indexes maintained row by row were most of the rollups' time); elsewhere a no-op.
    await defer_indexes(connection, activity)
    day = day_expression(connection.dialect.name, engagement.c.occurred_at)
    distinct = (
        select(
            literal(community_id).label("community_id"),
            engagement.c.member_id,
            day.label("day"),
            engagement.c.organization_id,
        )
        .where(engagement.c.community_id == community_id)
        .distinct()
        # In primary-key order: each row lands next to the last in the key's B-tree, instead
        # of a random page per row (a million member-days at 100,000 members).
        .order_by(engagement.c.member_id, day)
    )
    await connection.execute(
        insert(activity).from_select(
            ["community_id", "member_id", "day", "organization_id"], distinct
        )
    )


async def _tally_engagement(connection: AsyncConnection, community_id: int, tally: Tally) -> None:
    engagement = table_of(Engagement)
    day = day_expression(connection.dialect.name, engagement.c.occurred_at)
    grouped = (
        select(
            engagement.c.organization_id,
            day,
            engagement.c.kind,
            func.count(),
            func.sum(engagement.c.quality_weight),
        )
        .where(engagement.c.community_id == community_id)
        .group_by(engagement.c.organization_id, day, engagement.c.kind)
    )
    for organization_id, on, kind, count, weight in (await connection.execute(grouped)).all():
        counts = {ENGAGEMENT_COLUMNS[kind]: int(count), "quality_weighted": float(weight or 0)}
        tally.add((organization_id, community_id, as_date(on)), counts)


async def _tally_activity(connection: AsyncConnection, community_id: int, tally: Tally) -> None:
    activity = table_of(MemberActivityDay)
    grouped = (
        select(activity.c.organization_id, activity.c.day, func.count())
        .where(activity.c.community_id == community_id)
        .group_by(activity.c.organization_id, activity.c.day)
    )
    for organization_id, on, count in (await connection.execute(grouped)).all():
        tally.add((organization_id, community_id, as_date(on)), {"active_members": int(count)})


async def _tally_content(connection: AsyncConnection, community_id: int, tally: Tally) -> None:
    """Live published content, counted in SQL by what `content_counts` looks at (day, reply or
    not, kind, sentiment side of the neutral band): a few thousand groups instead of a row per
    piece of content through Python, each group counted by `content_counts` itself."""
    table = table_of(Content)
    day = day_expression(connection.dialect.name, table.c.published_at)
    side = case(
        (table.c.sentiment > NEUTRAL_BAND, 1), (table.c.sentiment < -NEUTRAL_BAND, -1), else_=0
    )
    root = table.c.parent_id.is_(None)
    grouped = (
        select(table.c.organization_id, day, root, table.c.kind, side, func.count())
        .where(
            table.c.community_id == community_id,
            table.c.published_at.is_not(None),
            table.c.deleted_at.is_(None),
        )
        .group_by(table.c.organization_id, day, root, table.c.kind, side)
    )
    for organization_id, on, is_root, kind, sign, count in await connection.execute(grouped):
        on = as_date(on)
        content = SimpleNamespace(
            published_at=_midnight(on), deleted_at=None, parent_id=None if is_root else 0,
            kind=kind, sentiment=float(sign),
        )  # fmt: skip
        tally.add((organization_id, community_id, on), _times(content_counts(content), count))


async def _tally_memberships(connection: AsyncConnection, community_id: int, tally: Tally) -> None:
    """Memberships counted in SQL by what `membership_counts` looks at (join day, state, day
    of the last change), each group counted by `membership_counts` itself."""
    table = table_of(Membership)
    dialect = connection.dialect.name
    joined = day_expression(dialect, table.c.joined_at)
    updated = day_expression(dialect, table.c.updated_at)
    grouped = (
        select(table.c.organization_id, joined, table.c.state, updated, func.count())
        .where(table.c.community_id == community_id)
        .group_by(table.c.organization_id, joined, table.c.state, updated)
    )
    for organization_id, joined_on, state, updated_on, count in await connection.execute(grouped):
        membership = SimpleNamespace(
            state=state,
            joined_at=_midnight(as_date(joined_on)),
            updated_at=_midnight(as_date(updated_on)),
        )
        for on, counts in membership_counts(membership):
            tally.add((organization_id, community_id, on), _times(counts, count))


def _midnight(on: date) -> datetime:
    """A moment on the UTC day `on` (the counting functions look at its day only)."""
    return datetime.combine(on, time(), UTC)


def _times(counts: dict[str, float], times: int) -> dict[str, float]:
    return {name: value * times for name, value in counts.items()}


async def rebuild(
    database: Database,
    *,
    community_id: int | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[int, int]:
    """Rebuild one community, or all; each community commits on its own. (communities, rows)."""
    async with database.engine.connect() as connection:
        ids = await community_ids(connection, None)
    if community_id is not None:
        if community_id not in ids:
            raise NotFound.of("community", "community")
        ids = [community_id]
    written = 0
    for done, target in enumerate(ids, start=1):
        async with database.engine.begin() as connection:
            written += await rebuild_community(connection, target)
        if on_progress is not None:
            on_progress(done, len(ids))
    return len(ids), written
