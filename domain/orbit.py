"""Love and orbit levels of memberships, after the Orbit model (orbit.love).

Love is weighted activity in a community over the last LOVE_DAYS days: *presence* sums the
weights of a member's engagements there, *commitment* the weights of what they published there.
Its points place a membership in one of four orbits (1 = core/ambassadors, 2 = fans,
3 = participants, 4 = observers). A write that earns a promotion applies it at once, in its own
transaction; demotions wait for the periodic re-evaluation (`reevaluate`, run by
`townsquare orbit reevaluate` or a scheduler), which recomputes love from raw rows in both
directions. Every level change is recorded in `orbit_change` for the flow between orbits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.bulk import columns_of, insert_rows
from domain.db import Database
from domain.entities import Content, Engagement, Membership
from domain.enums import ContentKind, EngagementKind
from domain.errors import NotFound
from domain.rollups.daily import table_of
from domain.rollups.rebuild import community_ids
from domain.rollups.tables import MembershipScore, OrbitChange
from domain.rollups.upsert import add_to
from domain.timeutil import as_utc, utcnow

LOVE_DAYS = 90
PRESENCE_WEIGHTS = {
    EngagementKind.VIEW.value: 0.1,
    EngagementKind.CLICK.value: 0.2,
    EngagementKind.LIKE.value: 0.5,
    EngagementKind.COMMENT.value: 1.0,
    EngagementKind.SHARE.value: 1.5,
}
COMMITMENT_WEIGHTS = {
    ContentKind.COMMENT.value: 1.5,
    ContentKind.REPLY.value: 1.5,
    ContentKind.QUESTION.value: 2.0,
    ContentKind.POST.value: 3.0,
    ContentKind.ANNOUNCEMENT.value: 3.0,
    ContentKind.ANSWER.value: 4.0,
    ContentKind.ARTICLE.value: 5.0,
}
# Love points needed for orbits 1, 2 and 3; fewer points leave a membership in orbit 4.
THRESHOLDS = ((1, 15.0), (2, 8.0), (3, 1.5))
LOVE_HALF = 8.0
"""Points at which the 0-1 love score reaches one half."""

Pair = tuple[int, int]  # (community id, member id)


def level_for(points: float) -> int:
    """The orbit a membership with `points` of love belongs to."""
    for level, needed in THRESHOLDS:
        if points >= needed:
            return level
    return 4


def love_score(points: float) -> float:
    """Love as a 0-1 score: points / (points + LOVE_HALF)."""
    return points / (points + LOVE_HALF) if points > 0 else 0.0


def recent(moment: datetime, now: datetime) -> bool:
    """Whether an activity at `moment` still counts towards love."""
    return as_utc(moment) >= now - timedelta(days=LOVE_DAYS)


async def activity_added(
    session: AsyncSession,
    organization_id: int,
    presence: dict[Pair, float],
    commitment: dict[Pair, float],
) -> None:
    """Add love earned by a write and promote the memberships that earned a higher orbit."""
    pairs = set(presence) | set(commitment)
    if not pairs:
        return
    memberships = await _memberships(session, organization_id, pairs)
    if not memberships:
        return
    now = utcnow()
    rows = [
        {
            "membership_id": m["id"], "organization_id": organization_id,
            "community_id": pair[0], "presence": presence.get(pair, 0.0),
            "commitment": commitment.get(pair, 0.0), "updated_at": now,
        }
        for pair, m in sorted(memberships.items())
    ]  # fmt: skip
    await add_to(
        session, table_of(MembershipScore), ("membership_id",), rows, replaced=("updated_at",)
    )
    await _promote(session, organization_id, [m["id"] for m in memberships.values()], now)


async def _memberships(
    session: AsyncSession, organization_id: int, pairs: Iterable[Pair]
) -> dict[Pair, dict[str, Any]]:
    table = table_of(Membership)
    communities = {c for c, _ in pairs}
    members = {m for _, m in pairs}
    rows = await session.execute(
        select(table.c.id, table.c.community_id, table.c.member_id, table.c.orbit_level).where(
            table.c.organization_id == organization_id,
            table.c.community_id.in_(communities),
            table.c.member_id.in_(members),
        )
    )
    wanted = set(pairs)
    return {
        (r.community_id, r.member_id): dict(r._mapping)
        for r in rows.all()
        if (r.community_id, r.member_id) in wanted
    }


async def _promote(
    session: AsyncSession, organization_id: int, membership_ids: Sequence[int], now: datetime
) -> None:
    membership, score = table_of(Membership), table_of(MembershipScore)
    rows = await session.execute(
        select(
            membership.c.id, membership.c.community_id, membership.c.orbit_level,
            score.c.presence + score.c.commitment,
        )
        .join(score, score.c.membership_id == membership.c.id)
        .where(membership.c.id.in_(list(membership_ids)))
    )  # fmt: skip
    changes, levels = [], []
    for membership_id, community_id, level, points in rows.all():
        earned = level_for(float(points))
        levels.append(
            {"b_id": membership_id, "b_level": min(level, earned), "b_love": love_score(points)}
        )
        if earned < level:
            changes.append(
                _change(organization_id, community_id, membership_id, level, earned, now)
            )
    await _set_levels(session, levels)
    if changes:
        await session.execute(insert(table_of(OrbitChange)), changes)


async def _set_levels(
    session: AsyncSession | AsyncConnection, levels: list[dict[str, Any]]
) -> None:
    if not levels:
        return
    membership = table_of(Membership)
    await session.execute(
        update(membership)
        .where(membership.c.id == bindparam("b_id"))
        .values(orbit_level=bindparam("b_level"), love=bindparam("b_love")),
        levels,
    )


# One statement for every membership of a community instead of one UPDATE per row (an
# executemany of 100,000 updates was most of a seed's orbit step); the same values.
_SET_LEVELS_FROM_ARRAYS = text(
    """
    UPDATE membership SET orbit_level = v.level, love = v.love
    FROM unnest(CAST(:ids AS BIGINT[]), CAST(:levels AS INTEGER[]), CAST(:loves AS FLOAT[]))
        AS v(id, level, love)
    WHERE membership.id = v.id
    """
)


async def _set_all_levels(connection: AsyncConnection, levels: list[dict[str, Any]]) -> None:
    """`_set_levels` for a whole community at once (on PostgreSQL, one statement)."""
    if connection.dialect.name != "postgresql" or not levels:
        await _set_levels(connection, levels)
        return
    arrays = {
        "ids": [level["b_id"] for level in levels],
        "levels": [level["b_level"] for level in levels],
        "loves": [level["b_love"] for level in levels],
    }
    await connection.execute(_SET_LEVELS_FROM_ARRAYS, arrays)


def _change(
    organization_id: int, community_id: int, membership_id: int, old: int, new: int, at: datetime
) -> dict[str, Any]:
    return {
        "organization_id": organization_id, "community_id": community_id,
        "membership_id": membership_id, "from_level": old, "to_level": new, "changed_at": at,
    }  # fmt: skip


def engagement_love(rows: Sequence[dict[str, Any]], now: datetime) -> dict[Pair, float]:
    """Presence earned by new engagement rows, per (community, member)."""
    earned: dict[Pair, float] = defaultdict(float)
    for row in rows:
        if recent(row["occurred_at"], now):
            earned[(row["community_id"], row["member_id"])] += PRESENCE_WEIGHTS[row["kind"]]
    return dict(earned)


def content_love(content: Content) -> dict[Pair, float]:
    """Commitment earned by publishing one piece of content."""
    if content.author_id is None:
        return {}
    return {(content.community_id, content.author_id): COMMITMENT_WEIGHTS[content.kind]}


async def reevaluate(
    connection: AsyncConnection,
    community_id: int,
    *,
    now: datetime | None = None,
    record: bool = True,
) -> int:
    """Recompute love over the last LOVE_DAYS days and set every level, up or down.

    Returns how many memberships changed orbit; with `record`, each change is kept in history.
    """
    now = now or utcnow()
    points = await _points(connection, community_id, now - timedelta(days=LOVE_DAYS))
    membership = table_of(Membership)
    rows = (
        await connection.execute(
            select(
                membership.c.id, membership.c.member_id, membership.c.organization_id,
                membership.c.orbit_level,
            ).where(membership.c.community_id == community_id)
        )
    ).all()  # fmt: skip
    if not rows:
        return 0
    scores, levels, changes = [], [], []
    for membership_id, member_id, organization_id, level in rows:
        presence, commitment = points.get(member_id, (0.0, 0.0))
        total = presence + commitment
        new = level_for(total)
        scores.append(
            {
                "membership_id": membership_id, "organization_id": organization_id,
                "community_id": community_id, "presence": presence, "commitment": commitment,
                "updated_at": now,
            }
        )  # fmt: skip
        levels.append({"b_id": membership_id, "b_level": new, "b_love": love_score(total)})
        if new != level:
            changes.append(_change(organization_id, community_id, membership_id, level, new, now))
    score = table_of(MembershipScore)
    await connection.execute(delete(score).where(score.c.community_id == community_id))
    await insert_rows(connection, score, columns_of(scores))
    await _set_all_levels(connection, levels)
    if changes and record:
        await connection.execute(insert(table_of(OrbitChange)), changes)
    return len(changes)


async def _points(
    connection: AsyncConnection, community_id: int, since: datetime
) -> dict[int, tuple[float, float]]:
    """(presence, commitment) per member of the community since `since`, from raw rows."""
    engagement, content = table_of(Engagement), table_of(Content)
    points: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    engaged = await connection.execute(
        select(engagement.c.member_id, engagement.c.kind, func.count())
        .where(engagement.c.community_id == community_id, engagement.c.occurred_at >= since)
        .group_by(engagement.c.member_id, engagement.c.kind)
    )
    for member_id, kind, count in engaged.all():
        points[member_id][0] += PRESENCE_WEIGHTS[kind] * count
    published = await connection.execute(
        select(content.c.author_id, content.c.kind, func.count())
        .where(
            and_(
                content.c.community_id == community_id,
                content.c.author_id.is_not(None),
                content.c.published_at >= since,
                content.c.deleted_at.is_(None),
            )
        )
        .group_by(content.c.author_id, content.c.kind)
    )
    for author_id, kind, count in published.all():
        points[author_id][1] += COMMITMENT_WEIGHTS[kind] * count
    return {member: (p[0], p[1]) for member, p in points.items()}


async def reevaluate_all(
    database: Database,
    *,
    community_id: int | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[int, int]:
    """Re-evaluate one community or all, each in its own transaction: (communities, changes)."""
    async with database.engine.connect() as connection:
        ids = await community_ids(connection, None)
    if community_id is not None:
        if community_id not in ids:
            raise NotFound.of("community", "community")
        ids = [community_id]
    changed = 0
    for done, target in enumerate(ids, start=1):
        async with database.engine.begin() as connection:
            changed += await reevaluate(connection, target)
        if on_progress is not None:
            on_progress(done, len(ids))
    return len(ids), changed
