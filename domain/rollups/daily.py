"""What each write adds to the daily rollups, applied in the writer's transaction.

Every contribution is a pure function of one raw row (`*_counts`), so a write adds the new
row's contribution and subtracts the old one's, and `rebuild` recomputes the same sums from the
rows alone. Upserts add in the database, so concurrent writers never lose an increment.
Each write that changes a community's rollups also emits `metrics.updated` for it, so live
dashboards know to redraw (the API coalesces bursts of them before they reach subscribers).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit import scope as audit
from domain.entities import Content, Membership
from domain.enums import ContentKind, EngagementKind, MembershipState
from domain.events import METRICS_UPDATED, emit
from domain.metrics.sentiment import NEUTRAL_BAND
from domain.rollups.bitmaps import members_added
from domain.rollups.tables import CommunityDaily, MemberActivityDay
from domain.rollups.upsert import add_to, insert_new
from domain.timeutil import as_utc

Key = tuple[int, int, date]  # (organization id, community id, day)

COUNTERS = (
    "posts", "replies", "views", "likes", "comments", "shares", "clicks", "quality_weighted",
    "active_members", "joins", "churns", "audience_delta", "positive_voices", "negative_voices",
    "voices", "questions",
)  # fmt: skip
ENGAGEMENT_COLUMNS = {
    EngagementKind.VIEW.value: "views",
    EngagementKind.LIKE.value: "likes",
    EngagementKind.COMMENT.value: "comments",
    EngagementKind.SHARE.value: "shares",
    EngagementKind.CLICK.value: "clicks",
}
# Comments and replies are the voices of net sentiment; answers are judged by response rate.
VOICE_KINDS = frozenset({ContentKind.COMMENT.value, ContentKind.REPLY.value})


class ContentFacts(Protocol):
    """What a content row's contribution depends on (a Content, or a row read in bulk)."""

    parent_id: int | None
    kind: str
    sentiment: float
    published_at: datetime | None
    deleted_at: datetime | None


class MembershipFacts(Protocol):
    """What a membership row's contribution depends on."""

    state: str
    joined_at: datetime
    updated_at: datetime


def table_of(entity: Any) -> Table:
    table: Table = entity.__table__
    return table


def day_of(moment: datetime) -> date:
    """The UTC day a moment falls in: rollups count in whole UTC days."""
    return as_utc(moment).date()


class Tally:
    """Counter increments per (organization, community, day), summed before they are written."""

    def __init__(self) -> None:
        self.sums: defaultdict[Key, Counter[str]] = defaultdict(Counter)

    def add(self, key: Key, counts: dict[str, float], sign: int = 1) -> None:
        bucket = self.sums[key]
        for name, value in counts.items():
            bucket[name] += sign * value  # type: ignore[assignment]

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for (organization_id, community_id, day), counts in sorted(self.sums.items()):
            row: dict[str, Any] = {
                "organization_id": organization_id,
                "community_id": community_id,
                "day": day,
            }
            row.update({name: counts.get(name, 0) for name in COUNTERS})
            row["quality_weighted"] = float(row["quality_weighted"])
            rows.append(row)
        return rows

    async def write(self, session: AsyncSession) -> None:
        rows = self.rows()
        await add_to(session, table_of(CommunityDaily), ("community_id", "day"), rows)
        announce(session, rows)


def announce(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """One `metrics.updated` per community whose daily rows this write changed."""
    days: defaultdict[tuple[int, int], set[date]] = defaultdict(set)
    for row in rows:
        days[(row["organization_id"], row["community_id"])].add(row["day"])
    for (organization_id, community_id), changed in sorted(days.items()):
        emit(
            session,
            organization_id=organization_id,
            name=METRICS_UPDATED,
            payload={"communityId": community_id, "days": [d.isoformat() for d in sorted(changed)]},
            subject_type="Community",
            subject_id=community_id,
        )


def content_counts(content: ContentFacts) -> dict[str, float]:
    """What one live, published piece of content adds to its publication day."""
    if content.published_at is None or content.deleted_at is not None:
        return {}
    counts: dict[str, float] = {"posts" if content.parent_id is None else "replies": 1}
    if content.kind in VOICE_KINDS:
        counts["voices"] = 1
        if content.sentiment > NEUTRAL_BAND:
            counts["positive_voices"] = 1
        elif content.sentiment < -NEUTRAL_BAND:
            counts["negative_voices"] = 1
    if content.kind == ContentKind.QUESTION.value:
        counts["questions"] = 1
    return counts


def membership_counts(membership: MembershipFacts) -> list[tuple[date, dict[str, float]]]:
    """A membership's contributions by day, from its current row.

    It joins on its join day (and enters the audience); one that is no longer active left the
    audience on the day of its last change, and one that is churned counts as a churn that day.
    """
    joined = day_of(membership.joined_at)
    parts: list[tuple[date, dict[str, float]]] = [(joined, {"joins": 1, "audience_delta": 1})]
    if membership.state != MembershipState.ACTIVE.value:
        left: dict[str, float] = {"audience_delta": -1}
        if membership.state == MembershipState.CHURNED.value:
            left["churns"] = 1
        parts.append((day_of(membership.updated_at), left))
    return parts


def content_key(content: Content) -> Key:
    assert content.published_at is not None
    return (content.organization_id, content.community_id, day_of(content.published_at))


async def content_changed(
    session: AsyncSession, before: Content | None, after: Content | None
) -> None:
    """Swap one content row's old contribution for its new one."""
    tally = Tally()
    for row, sign in ((before, -1), (after, 1)):
        if row is not None and (counts := content_counts(row)):
            tally.add(content_key(row), counts, sign)
    await tally.write(session)


async def membership_changed(
    session: AsyncSession, before: Membership | None, after: Membership | None
) -> None:
    """Swap one membership row's old contribution for its new one."""
    tally = Tally()
    for row, sign in ((before, -1), (after, 1)):
        if row is None:
            continue
        for day, counts in membership_counts(row):
            tally.add((row.organization_id, row.community_id, day), counts, sign)
    await tally.write(session)


async def engagements_added(
    session: AsyncSession, organization_id: int, rows: Sequence[dict[str, Any]]
) -> None:
    """Count one organization's new engagement rows (dicts shaped like the table).

    The last write of its transaction. Concurrent batches of one community add to the same
    daily rows, and each waits on the row locks of the one before until that one commits; so
    everything else the transaction writes (the member-days, the events, the audit row) goes
    first, and the rollup rows are locked by the last statements, in key order, held only for
    the commit.
    """
    tally = Tally()
    activity: set[tuple[int, int, date]] = set()
    kinds: Counter[tuple[int, date, str]] = Counter()
    weights: defaultdict[tuple[int, date], float] = defaultdict(float)
    days: dict[datetime, date] = {}  # a batch's items mostly share a few moments
    for row in rows:
        moment = row["occurred_at"]
        day = days.get(moment) or days.setdefault(moment, day_of(moment))
        kinds[(row["community_id"], day, row["kind"])] += 1
        weights[(row["community_id"], day)] += row["quality_weight"]
        activity.add((row["community_id"], row["member_id"], day))
    for (community_id, day, kind), count in kinds.items():
        tally.add((organization_id, community_id, day), {ENGAGEMENT_COLUMNS[kind]: count})
    for (community_id, day), weight in weights.items():
        tally.add((organization_id, community_id, day), {"quality_weighted": weight})
    first = await _first_activity(session, organization_id, activity)
    for community_id, _member_id, day in first:
        tally.add((organization_id, community_id, day), {"active_members": 1})
    sums = tally.rows()
    announce(session, sums)
    await _write_all_but_rollups(session)
    await members_added(session, organization_id, first)
    await add_to(session, table_of(CommunityDaily), ("community_id", "day"), sums)


async def _write_all_but_rollups(session: AsyncSession) -> None:
    """Send what the transaction holds so far, its audit row included (`domain.db.transaction`
    stages it again before the commit: an unchanged row costs no statement then)."""
    await session.flush()
    await audit.stage(session)


async def _first_activity(
    session: AsyncSession, organization_id: int, activity: Iterable[tuple[int, int, date]]
) -> list[tuple[int, int, date]]:
    """Record who was active where and when; the (community, member, day)s not yet seen."""
    rows = [
        {"community_id": c, "member_id": m, "day": d, "organization_id": organization_id}
        for c, m, d in sorted(activity)
    ]
    inserted = await insert_new(
        session, table_of(MemberActivityDay), ("community_id", "member_id", "day"), rows
    )
    return [(int(c), int(m), as_date(d)) for c, m, d in inserted]


def as_date(value: date | str) -> date:
    """A day read back from the database (SQLite returns raw ISO text from some expressions)."""
    return value if isinstance(value, date) else date.fromisoformat(value)
