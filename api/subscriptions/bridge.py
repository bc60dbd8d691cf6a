"""From the database's committed events to the broadcaster, with metrics updates coalesced.

A burst of ingestion commits many writes a second, each announcing `metrics.updated` for its
community; a dashboard needs to redraw once per burst, not once per write. So this bridge holds
a community's update for `debounce_seconds` and publishes one, carrying the last payload, for
everything that arrived meanwhile (a trailing debounce: the final state is always announced).
Every other event is published as it commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence

from api.subscriptions.broadcast import Broadcaster, LocalBroadcaster
from api.subscriptions.events import LiveEvent
from domain.db import Database
from domain.events import (
    ALERT_RAISED,
    API_KEY_REVOKED,
    ESCALATION_CHANGED,
    MENTION_ADDED,
    METRICS_UPDATED,
    SIMULATION_FINISHED,
    DomainEvent,
)

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 1.0
# The events a subscription field offers, and revocations (which close a key's sockets);
# others (webhook-only ones) stay off the wire.
LIVE_NAMES = frozenset(
    {
        MENTION_ADDED,
        ESCALATION_CHANGED,
        ALERT_RAISED,
        METRICS_UPDATED,
        SIMULATION_FINISHED,
        API_KEY_REVOKED,
    }
)


def broadcaster_for(redis_url: str | None) -> Broadcaster:
    """Redis pub/sub when a URL is configured (events cross workers), else in-process."""
    if redis_url:
        from api.subscriptions.redis_broadcast import RedisBroadcaster

        return RedisBroadcaster(redis_url)
    return LocalBroadcaster()


class EventBridge:
    """Listens to a Database's committed events and publishes the live ones."""

    def __init__(
        self,
        database: Database,
        broadcaster: Broadcaster,
        *,
        debounce_seconds: float = DEBOUNCE_SECONDS,
    ) -> None:
        self.broadcaster = broadcaster
        self.debounce_seconds = debounce_seconds
        self._held: dict[tuple[int, int | None], LiveEvent] = {}
        self._timers: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] = database.events.subscribe(self.heard)

    async def heard(self, events: Sequence[DomainEvent]) -> None:
        now: list[LiveEvent] = []
        for event in events:
            if event.name not in LIVE_NAMES:
                continue
            live = LiveEvent.from_domain(event)
            if live.name == METRICS_UPDATED and self.debounce_seconds > 0:
                self._hold(live)
            else:
                now.append(live)
        await self.publish(now)

    async def publish(self, events: Sequence[LiveEvent]) -> None:
        if not events:
            return
        try:
            await self.broadcaster.publish(events)
        except Exception:
            # The write has committed; a broadcaster outage costs live updates, not the write.
            log.exception("publishing %d live events failed", len(events))

    def _hold(self, event: LiveEvent) -> None:
        key = (event.organization_id, event.subject_id)
        first = key not in self._held
        self._held[key] = event
        if first:
            timer = asyncio.create_task(self._release(key))
            self._timers.add(timer)
            timer.add_done_callback(self._timers.discard)

    async def _release(self, key: tuple[int, int | None]) -> None:
        await asyncio.sleep(self.debounce_seconds)
        event = self._held.pop(key, None)
        if event is not None:
            await self.publish([event])

    async def close(self) -> None:
        """Stop listening; updates still held are published now rather than lost."""
        self._unsubscribe()
        for timer in list(self._timers):
            timer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await timer
        held, self._held = list(self._held.values()), {}
        await self.publish(held)
        await self.broadcaster.close()
