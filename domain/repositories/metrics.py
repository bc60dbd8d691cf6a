"""Queries behind the metrics: rollups by community or organization, batched over many keys.

Every query groups by a key column (community id, or organization id for an organization's
total), so the metrics of any number of communities take the same handful of statements. Only
derived tables and small slices of content are read; raw engagement never is.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from pyroaring import BitMap64
from sqlalchemy import ColumnElement, Table, and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.entities import Content, ContentTopic, Membership, Topic
from domain.enums import ContentKind, MembershipRole, MembershipState
from domain.metrics.report import Totals
from domain.metrics.window import Window
from domain.rollups.bitmaps import union, unpack
from domain.rollups.daily import as_date
from domain.rollups.tables import ActiveMembersDay, CommunityDaily

TOTAL_COLUMNS = tuple(name for name in Totals.__dataclass_fields__ if name != "daily_active")
# Staff answers count as the brand's response; a member answering a member does not.
STAFF_ROLES = tuple(
    r.value
    for r in (
        MembershipRole.MODERATOR,
        MembershipRole.COMMUNITY_MANAGER,
        MembershipRole.SUBJECT_MATTER_EXPERT,
        MembershipRole.EMPLOYEE,
    )
)


class Scope(StrEnum):
    """What the metrics are keyed by: one community, or everything of an organization."""

    COMMUNITY = "community_id"
    ORGANIZATION = "organization_id"


@dataclass(frozen=True)
class Question:
    asked: datetime
    answered: datetime | None


def _table(entity: Any) -> Table:
    table: Table = entity.__table__
    return table


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


class MetricsRepository:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id

    def _key(self, table: Table, scope: Scope) -> Any:
        return table.c[scope.value]

    def _where(self, table: Table, scope: Scope, keys: Sequence[int]) -> ColumnElement[bool]:
        return and_(
            table.c.organization_id == self.organization_id,
            self._key(table, scope).in_(list(keys)),
        )

    async def daily_totals(
        self, scope: Scope, keys: Sequence[int], window: Window
    ) -> dict[int, dict[date, Totals]]:
        """Each key's summed rollups per day of the window (days without rows are absent)."""
        daily = _table(CommunityDaily)
        key = self._key(daily, scope)
        stmt = (
            select(key, daily.c.day, *(func.sum(daily.c[n]) for n in TOTAL_COLUMNS),
                   func.sum(daily.c.active_members))
            .where(self._where(daily, scope, keys), daily.c.day.between(window.first, window.last))
            .group_by(key, daily.c.day)
        )  # fmt: skip
        found: dict[int, dict[date, Totals]] = defaultdict(dict)
        for row in (await self.session.execute(stmt)).all():
            values = dict(zip(TOTAL_COLUMNS, row[2:-1], strict=True))
            totals = Totals(**{n: (v or 0) for n, v in values.items()}, daily_active=row[-1] or 0)
            totals.quality_weighted = float(totals.quality_weighted)
            found[row[0]][as_date(row[1])] = totals
        return found

    async def audience(
        self, scope: Scope, keys: Sequence[int], window: Window
    ) -> dict[int, tuple[int, int]]:
        """Each key's (audience before the window's first day, audience at its last day)."""
        daily = _table(CommunityDaily)
        key = self._key(daily, scope)
        before = func.sum(case((daily.c.day < window.first, daily.c.audience_delta), else_=0))
        stmt = (
            select(key, before, func.sum(daily.c.audience_delta))
            .where(self._where(daily, scope, keys), daily.c.day <= window.last)
            .group_by(key)
        )
        rows = (await self.session.execute(stmt)).all()
        return {k: (int(start or 0), int(end or 0)) for k, start, end in rows}

    async def distinct_active(
        self, scope: Scope, keys: Sequence[int], window: Window, trailing: Window
    ) -> dict[int, tuple[int, int]]:
        """Each key's distinct active members over the window and over its trailing part."""
        days = await self._active_bitmaps(scope, keys, window.first, window.last)
        found = {}
        for key, by_day in days.items():
            late = union([b for d, b in by_day if d >= trailing.first])
            early = union([b for d, b in by_day if d < trailing.first])
            found[key] = (len(late | early), len(late))
        return found

    async def active_by_bucket(
        self, scope: Scope, keys: Sequence[int], buckets: Sequence[Window]
    ) -> dict[int, dict[int, int]]:
        """Each key's distinct active members per bucket (by bucket index)."""
        days = await self._active_bitmaps(scope, keys, buckets[0].first, buckets[-1].last)
        lasts = [b.last for b in buckets]
        found: dict[int, dict[int, int]] = defaultdict(dict)
        for key, by_day in days.items():
            grouped: defaultdict[int, list[BitMap64]] = defaultdict(list)
            for day, bitmap in by_day:
                grouped[min(bisect_left(lasts, day), len(buckets) - 1)].append(bitmap)
            for index, bitmaps in sorted(grouped.items()):
                found[key][index] = len(union(bitmaps))
        return found

    async def _active_bitmaps(
        self, scope: Scope, keys: Sequence[int], first: date, last: date
    ) -> dict[int, list[tuple[date, BitMap64]]]:
        """Each key's daily active-member bitmaps from `first` to `last` (one per community
        and day; an organization's several communities give several per day)."""
        table = _table(ActiveMembersDay)
        stmt = select(self._key(table, scope), table.c.day, table.c.members).where(
            self._where(table, scope, keys), table.c.day.between(first, last)
        )
        found: dict[int, list[tuple[date, BitMap64]]] = defaultdict(list)
        for key, day, blob in (await self.session.execute(stmt)).all():
            found[key].append((as_date(day), unpack(blob)))
        return found

    async def questions(
        self, scope: Scope, keys: Sequence[int], window: Window
    ) -> dict[int, list[Question]]:
        """Each key's live questions published in the window, with their first staff answer.

        The first answer is a subquery per question (replies by parent index), and whether its
        author is staff a lookup in the keys' staff, hashed once: a join of all replies with
        all memberships scans both tables at size.
        """
        question = _table(Content)
        reply = aliased(question)
        membership = _table(Membership)
        staff = select(membership.c.community_id, membership.c.member_id).where(
            self._where(membership, scope, keys), membership.c.role.in_(STAFF_ROLES)
        )
        first_answer = (
            select(func.min(reply.c.published_at))
            .where(
                reply.c.parent_id == question.c.id,
                reply.c.deleted_at.is_(None),
                reply.c.published_at.is_not(None),
                # Replies stay in their question's community, so the keys' staff are enough.
                tuple_(reply.c.community_id, reply.c.author_id).in_(staff),
            )
            .scalar_subquery()
        )
        stmt = select(self._key(question, scope), question.c.published_at, first_answer).where(
            self._where(question, scope, keys),
            question.c.kind == ContentKind.QUESTION.value,
            question.c.deleted_at.is_(None),
            question.c.published_at >= midnight(window.first),
            question.c.published_at < midnight(window.last + timedelta(days=1)),
        )
        found: dict[int, list[Question]] = defaultdict(list)
        for k, asked, answered in (await self.session.execute(stmt)).all():
            found[k].append(Question(_aware(asked), None if answered is None else _aware(answered)))
        return found

    async def topic_volume(
        self, scope: Scope, keys: Sequence[int], window: Window
    ) -> dict[int, list[tuple[float, float]]]:
        """Each key's (conversation volume, competitive advantage) per topic in the window."""
        content, tagged, topic = _table(Content), _table(ContentTopic), _table(Topic)
        key = self._key(content, scope)
        advantage = case((topic.c.strategic, topic.c.advantage), else_=0.0)
        stmt = (
            select(key, topic.c.id, advantage, func.count())
            .select_from(content)
            .join(tagged, tagged.c.content_id == content.c.id)
            .join(topic, topic.c.id == tagged.c.topic_id)
            .where(
                self._where(content, scope, keys),
                content.c.deleted_at.is_(None),
                content.c.published_at >= midnight(window.first),
                content.c.published_at < midnight(window.last + timedelta(days=1)),
            )
            .group_by(key, topic.c.id, advantage)
        )
        found: dict[int, list[tuple[float, float]]] = defaultdict(list)
        for k, _topic, weight, count in (await self.session.execute(stmt)).all():
            found[k].append((float(count), float(weight)))
        return found

    async def relationship(
        self, scope: Scope, keys: Sequence[int]
    ) -> dict[int, tuple[float, float]]:
        """Each key's mean (love, trust) over active memberships, as they stand now."""
        membership = _table(Membership)
        key = self._key(membership, scope)
        stmt = (
            select(key, func.avg(membership.c.love), func.avg(membership.c.trust))
            .where(
                self._where(membership, scope, keys),
                membership.c.state == MembershipState.ACTIVE.value,
            )
            .group_by(key)
        )
        rows = (await self.session.execute(stmt)).all()
        return {k: (float(love or 0), float(trust or 0)) for k, love, trust in rows}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
