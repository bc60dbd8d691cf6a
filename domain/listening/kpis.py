"""Row-level figures of the listening KPIs, for the metrics engine to call over a window.

Each function reads the counts or durations from the tables and hands them to the one
definition of the KPI in domain/metrics; nothing here redefines a formula.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from domain.listening.enums import MentionKind
from domain.listening.tables import Escalation, Mention
from domain.metrics.response import (
    escalation_sla,
    escalations_within_target,
    median_first_response_time,
    response_rate,
)
from domain.metrics.sentiment import NEUTRAL_BAND, net_sentiment

NEEDS_ANSWER = (MentionKind.COMPLAINT.value, MentionKind.QUESTION.value)


@dataclass(frozen=True)
class SentimentFigures:
    positive: int
    negative: int
    total: int

    @property
    def net(self) -> float:
        return net_sentiment(self.positive, self.negative, self.total)


@dataclass(frozen=True)
class ResponseFigures:
    answered: int
    needing_answer: int
    median_first_response_seconds: float | None

    @property
    def rate(self) -> float:
        return response_rate(self.answered, self.needing_answer)


@dataclass(frozen=True)
class EscalationFigures:
    within_target: int
    escalations: int
    median_first_response_seconds: float | None

    @property
    def sla(self) -> float:
        return escalation_sla(self.within_target, self.escalations)


async def mention_sentiment(
    session: AsyncSession, organization_id: int, start: datetime, end: datetime
) -> SentimentFigures:
    """Positive, negative and all mentions that occurred in [start, end)."""
    score = col(Mention.sentiment)
    stmt = select(
        func.coalesce(func.sum(case((score > NEUTRAL_BAND, 1), else_=0)), 0),
        func.coalesce(func.sum(case((score < -NEUTRAL_BAND, 1), else_=0)), 0),
        func.count(),
    ).where(
        col(Mention.organization_id) == organization_id,
        col(Mention.occurred_at) >= start,
        col(Mention.occurred_at) < end,
    )
    positive, negative, total = (await session.execute(stmt)).one()
    return SentimentFigures(int(positive), int(negative), int(total))


async def mention_responses(
    session: AsyncSession, organization_id: int, start: datetime, end: datetime
) -> ResponseFigures:
    """Complaints and questions that occurred in [start, end): how many were answered, how fast."""
    stmt = select(Mention.first_response_seconds).where(
        col(Mention.organization_id) == organization_id,
        col(Mention.kind).in_(NEEDS_ANSWER),
        col(Mention.occurred_at) >= start,
        col(Mention.occurred_at) < end,
    )
    seconds = list((await session.scalars(stmt)).all())
    answered = [float(s) for s in seconds if s is not None]
    return ResponseFigures(len(answered), len(seconds), median_first_response_time(answered))


async def escalation_responses(
    session: AsyncSession, organization_id: int, start: datetime, end: datetime
) -> EscalationFigures:
    """Escalations opened in [start, end): how many got a first response within their target."""
    stmt = select(Escalation.first_response_seconds, Escalation.target_seconds).where(
        col(Escalation.organization_id) == organization_id,
        col(Escalation.created_at) >= start,
        col(Escalation.created_at) < end,
    )
    rows = (await session.execute(stmt)).all()
    responses = [float("nan") if r is None else float(r) for r, _ in rows]
    targets = [float(t) for _, t in rows]
    within = escalations_within_target(responses, targets) if rows else 0
    return EscalationFigures(within, len(rows), median_first_response_time(responses))
