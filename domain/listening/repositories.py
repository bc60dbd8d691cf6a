"""Tenant-scoped queries over mentions, escalations, their history, alerts and settings."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import col, select

from domain.listening.enums import EscalationStatus, MentionKind, Priority, SentimentLabel
from domain.listening.enums import MentionStatus as Status
from domain.listening.tables import (
    Alert,
    Escalation,
    EscalationChange,
    ListeningSettings,
    Mention,
    MentionTopic,
)
from domain.metrics.sentiment import NEUTRAL_BAND
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository

INBOX_ORDER = Ordering((Mention.occurred_at, Mention.id), descending=True)
ESCALATION_ORDER = Ordering((Escalation.created_at, Escalation.id), descending=True)
HISTORY_ORDER = Ordering((EscalationChange.id,))
ALERT_ORDER = Ordering((Alert.raised_at, Alert.id), descending=True)
OPEN_ESCALATION = (EscalationStatus.OPEN.value, EscalationStatus.RESPONDED.value)


@dataclass(frozen=True)
class MentionFilter:
    """What the inbox may be narrowed by; every part left out matches everything."""

    status: Status | None = None
    sentiment: SentimentLabel | None = None
    topic_id: int | None = None
    priority: Priority | None = None
    kind: MentionKind | None = None
    since: datetime | None = None


def sentiment_clause(label: SentimentLabel) -> Any:
    score = col(Mention.sentiment)
    if label is SentimentLabel.POSITIVE:
        return score > NEUTRAL_BAND
    if label is SentimentLabel.NEGATIVE:
        return score < -NEUTRAL_BAND
    return score.between(-NEUTRAL_BAND, NEUTRAL_BAND)


class MentionRepository(TenantRepository[Mention]):
    model = Mention

    def filtered(self, where: MentionFilter) -> Select[Any]:
        stmt = self.scoped()
        if where.status is not None:
            stmt = stmt.where(col(Mention.status) == where.status.value)
        if where.sentiment is not None:
            stmt = stmt.where(sentiment_clause(where.sentiment))
        if where.priority is not None:
            stmt = stmt.where(col(Mention.priority) == where.priority.value)
        if where.kind is not None:
            stmt = stmt.where(col(Mention.kind) == where.kind.value)
        if where.since is not None:
            stmt = stmt.where(col(Mention.occurred_at) >= where.since)
        if where.topic_id is not None:
            tagged = select(MentionTopic.mention_id).where(
                col(MentionTopic.topic_id) == where.topic_id,
                col(MentionTopic.organization_id) == self.organization_id,
            )
            stmt = stmt.where(col(Mention.id).in_(tagged))
        return stmt

    async def inbox(self, where: MentionFilter, request: PageRequest) -> Page[Mention]:
        return await self.page(self.filtered(where), INBOX_ORDER, request)

    async def inbox_total(self, where: MentionFilter) -> int:
        return await self.count(self.filtered(where))

    async def topics_of(self, mention_ids: Sequence[int]) -> dict[int, list[int]]:
        stmt = (
            select(MentionTopic)
            .where(
                col(MentionTopic.organization_id) == self.organization_id,
                col(MentionTopic.mention_id).in_(list(mention_ids)),
            )
            .order_by(col(MentionTopic.mention_id), col(MentionTopic.topic_id))
        )
        grouped: dict[int, list[int]] = defaultdict(list)
        for row in (await self.session.scalars(stmt)).all():
            grouped[row.mention_id].append(row.topic_id)
        return {mid: grouped.get(mid, []) for mid in mention_ids}

    async def negative_counts(
        self, topic_ids: Sequence[int], start: datetime, end: datetime
    ) -> dict[int, int]:
        """Negative mentions per topic that occurred in [start, end)."""
        stmt = (
            select(MentionTopic.topic_id, func.count())
            .join(Mention, col(Mention.id) == col(MentionTopic.mention_id))
            .where(
                col(MentionTopic.organization_id) == self.organization_id,
                col(MentionTopic.topic_id).in_(list(topic_ids)),
                col(Mention.sentiment) < -NEUTRAL_BAND,
                col(Mention.occurred_at) >= start,
                col(Mention.occurred_at) < end,
            )
            .group_by(col(MentionTopic.topic_id))
        )
        counts = dict.fromkeys(topic_ids, 0)
        for topic_id, count in (await self.session.execute(stmt)).all():
            counts[topic_id] = int(count)
        return counts


class EscalationRepository(TenantRepository[Escalation]):
    model = Escalation

    async def list_page(self, status: EscalationStatus | None, request: PageRequest) -> Page[Any]:
        return await self.page(self._of_status(status), ESCALATION_ORDER, request)

    async def total(self, status: EscalationStatus | None) -> int:
        return await self.count(self._of_status(status))

    def _of_status(self, status: EscalationStatus | None) -> Select[Any]:
        stmt = self.scoped()
        if status is not None:
            stmt = stmt.where(col(Escalation.status) == status.value)
        return stmt

    async def open_load(self, member_ids: Sequence[int]) -> dict[int, int]:
        """Escalations not yet resolved, per assignee."""
        stmt = (
            select(Escalation.assignee_member_id, func.count())
            .where(
                col(Escalation.organization_id) == self.organization_id,
                col(Escalation.assignee_member_id).in_(list(member_ids)),
                col(Escalation.status).in_(OPEN_ESCALATION),
            )
            .group_by(col(Escalation.assignee_member_id))
        )
        load = dict.fromkeys(member_ids, 0)
        for member_id, count in (await self.session.execute(stmt)).all():
            load[member_id] = int(count)
        return load

    async def latest_for_mentions(self, mention_ids: Sequence[int]) -> dict[int, Escalation]:
        """Each mention's most recent escalation; mentions never escalated are absent."""
        stmt = (
            self.scoped()
            .where(col(Escalation.mention_id).in_(list(mention_ids)))
            .order_by(col(Escalation.mention_id), col(Escalation.created_at), col(Escalation.id))
        )
        latest: dict[int, Escalation] = {}
        # Oldest first, so each mention keeps the last one seen: a mention has few escalations.
        for escalation in (await self.session.scalars(stmt)).all():
            assert escalation.mention_id is not None
            latest[escalation.mention_id] = escalation
        return latest

    async def open_for_mention(self, mention_id: int) -> Escalation | None:
        stmt = self.scoped().where(
            col(Escalation.mention_id) == mention_id,
            col(Escalation.status).in_(OPEN_ESCALATION),
        )
        return (await self.session.scalars(stmt)).first()


class EscalationChangeRepository(TenantRepository[EscalationChange]):
    model = EscalationChange

    def _of(self, escalation_id: int) -> Select[Any]:
        return self.scoped().where(col(EscalationChange.escalation_id) == escalation_id)

    async def history(self, escalation_id: int, request: PageRequest) -> Page[Any]:
        return await self.page(self._of(escalation_id), HISTORY_ORDER, request)

    async def history_total(self, escalation_id: int) -> int:
        return await self.count(self._of(escalation_id))


class AlertRepository(TenantRepository[Alert]):
    model = Alert

    async def list_page(self, open_only: bool, request: PageRequest) -> Page[Any]:
        return await self.page(self._listed(open_only), ALERT_ORDER, request)

    async def total(self, open_only: bool) -> int:
        return await self.count(self._listed(open_only))

    def _listed(self, open_only: bool) -> Select[Any]:
        stmt = self.scoped()
        if open_only:
            stmt = stmt.where(col(Alert.ended_at).is_(None))
        return stmt

    async def open_for(self, topic_ids: Sequence[int]) -> dict[int, Alert]:
        stmt = self.scoped().where(
            col(Alert.open_topic_id).in_(list(topic_ids)), col(Alert.ended_at).is_(None)
        )
        return {row.topic_id: row for row in (await self.session.scalars(stmt)).all()}


class SettingsRepository:
    """One settings row per organization, or the defaults when it has none."""

    def __init__(self, session: Any, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id

    async def get(self) -> ListeningSettings:
        row = await self.session.get(ListeningSettings, self.organization_id)
        return row if row is not None else ListeningSettings(organization_id=self.organization_id)
