"""The listening part of a metrics window: mentions and escalations, by organization or community.

Mentions are about the brand, not about one of its communities, so they count in an
organization's figures only; an escalation counts in a community's figures when it was raised
on that community's content (and always in its organization's). The rows go to
`domain.metrics.report.summarize`, which folds mentions into net sentiment and responsiveness
and computes the escalation SLA by the shared formulas.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.entities import Content
from domain.listening.kpis import NEEDS_ANSWER
from domain.listening.tables import Escalation, Mention
from domain.metrics.report import ListeningInputs
from domain.metrics.response import escalations_within_target
from domain.metrics.sentiment import NEUTRAL_BAND
from domain.metrics.window import Window
from domain.repositories.metrics import Scope, midnight


async def listening_inputs(
    session: AsyncSession, organization_id: int, scope: Scope, keys: Sequence[int], window: Window
) -> dict[int, ListeningInputs]:
    """Each key's mentions and escalations that arose within the window."""
    start, end = midnight(window.first), midnight(window.last + timedelta(days=1))
    found: dict[int, ListeningInputs] = defaultdict(ListeningInputs)
    if scope is Scope.ORGANIZATION and organization_id in keys:
        await _add_mentions(session, organization_id, start, end, found[organization_id])
    await _add_escalations(session, organization_id, scope, keys, (start, end), found)
    return dict(found)


async def _add_mentions(
    session: AsyncSession, organization_id: int, start: datetime, end: datetime,
    into: ListeningInputs,
) -> None:  # fmt: skip
    stmt = select(col(Mention.sentiment), col(Mention.kind), col(Mention.first_response_seconds))
    rows = (
        await session.execute(
            stmt.where(
                col(Mention.organization_id) == organization_id,
                col(Mention.occurred_at) >= start,
                col(Mention.occurred_at) < end,
            )
        )
    ).all()
    for sentiment, kind, seconds in rows:
        into.mentions += 1
        into.positive_mentions += sentiment > NEUTRAL_BAND
        into.negative_mentions += sentiment < -NEUTRAL_BAND
        if kind in NEEDS_ANSWER:
            into.mentions_needing_answer += 1
            if seconds is not None:
                into.mentions_answered += 1
                into.mention_response_seconds.append(float(seconds))


async def _add_escalations(
    session: AsyncSession, organization_id: int, scope: Scope, keys: Sequence[int],
    span: tuple[datetime, datetime], found: dict[int, ListeningInputs],
) -> None:  # fmt: skip
    key: Any = (
        col(Escalation.organization_id)
        if scope is Scope.ORGANIZATION
        else col(Content.community_id)
    )
    stmt = select(key, col(Escalation.first_response_seconds), col(Escalation.target_seconds))
    if scope is Scope.COMMUNITY:
        stmt = stmt.join(Content, col(Content.id) == col(Escalation.content_id))
    stmt = stmt.where(
        col(Escalation.organization_id) == organization_id,
        key.in_(list(keys)),
        col(Escalation.created_at) >= span[0],
        col(Escalation.created_at) < span[1],
    )
    for owner, seconds, target in (await session.execute(stmt)).all():
        into = found[owner]
        into.escalations += 1
        response = float("nan") if seconds is None else float(seconds)
        into.escalations_within_target += escalations_within_target([response], [float(target)])
        if seconds is not None:
            into.escalation_response_seconds.append(float(seconds))
