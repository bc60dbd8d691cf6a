"""Domain events: written to an outbox table in the writer's transaction, announced after commit.

A service calls `emit(session, ...)` inside `transaction(session)`. The event row commits or
rolls back with the write that caused it, so a consumer reading the outbox (webhook delivery)
never sees an event for a write that did not happen and never misses one that did. After the
commit, the session's `EventHub` hands the events to in-process listeners (live subscriptions,
alerts); a listener's failure is logged and never undoes the committed write.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow

log = logging.getLogger(__name__)

HUB_KEY = "townsquare.event_hub"
PENDING_KEY = "townsquare.pending_events"

# The names consumers may rely on; a new kind of event adds its name here.
CONTENT_PUBLISHED = "content.published"
MENTION_ADDED = "mention.added"
MENTION_ESCALATED = "mention.escalated"
ESCALATION_CHANGED = "escalation.changed"
ESCALATION_RESOLVED = "escalation.resolved"
ALERT_RAISED = "alert.raised"
CONVERSION_RECORDED = "conversion.recorded"
SIMULATION_FINISHED = "simulation.finished"
METRICS_UPDATED = "metrics.updated"
# An API key was revoked: live connections made with it close (api/subscriptions/guard.py).
API_KEY_REVOKED = "api_key.revoked"
EVENT_NAMES = frozenset(
    {
        CONTENT_PUBLISHED,
        MENTION_ADDED,
        MENTION_ESCALATED,
        ESCALATION_CHANGED,
        ESCALATION_RESOLVED,
        ALERT_RAISED,
        CONVERSION_RECORDED,
        SIMULATION_FINISHED,
        METRICS_UPDATED,
        API_KEY_REVOKED,
    }
)


class DomainEvent(SQLModel, table=True):
    """One thing that happened to an organization's data, kept as an outbox row."""

    __tablename__ = "domain_event"
    __table_args__ = (Index("ix_domain_event_org_id", "organization_id", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    name: str = Field(sa_type=String(64))
    subject_type: str | None = Field(default=None, sa_type=String(64), nullable=True)
    subject_id: int | None = Field(default=None, sa_type=BigId, nullable=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


Listener = Callable[[Sequence[DomainEvent]], Awaitable[None]]


class EventHub:
    """The in-process listeners told about events after their transaction commits."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; the returned function removes it again."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    async def publish(self, events: Sequence[DomainEvent]) -> None:
        for listener in list(self._listeners):
            try:
                await listener(events)
            except Exception:
                # The write has committed; a broken listener must not turn it into an error.
                log.exception("event listener %r failed", listener)


def emit(
    session: AsyncSession,
    *,
    organization_id: int,
    name: str,
    payload: dict[str, Any] | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> DomainEvent:
    """Record an event in the session's current transaction; it is published after commit."""
    if name not in EVENT_NAMES:
        raise ValueError(f"unknown event name {name!r}; add it to domain.events.EVENT_NAMES")
    event = DomainEvent(
        organization_id=organization_id,
        name=name,
        payload=payload or {},
        subject_type=subject_type,
        subject_id=subject_id,
    )
    session.add(event)
    session.info.setdefault(PENDING_KEY, []).append(event)
    return event


def discard_pending(session: AsyncSession) -> None:
    """Forget events of a transaction that rolled back."""
    session.info.pop(PENDING_KEY, None)


async def publish_committed(session: AsyncSession) -> None:
    """Hand the events of a committed transaction to the session's hub, if it has one."""
    pending: list[DomainEvent] = session.info.pop(PENDING_KEY, [])
    hub = session.info.get(HUB_KEY)
    if pending and isinstance(hub, EventHub):
        await hub.publish(pending)
