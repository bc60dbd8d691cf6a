"""The broadcaster interface, and its in-process implementation (the default).

Subscribers listen to one organization: the broadcaster never hands an event to a listener of
another organization. Each listener has a bounded queue; a subscriber too slow to drain it
loses the oldest events rather than growing the server's memory without limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from api.subscriptions.events import LiveEvent

log = logging.getLogger(__name__)

QUEUE_SIZE = 256


class Listener:
    """One subscriber's queue of its organization's events."""

    def __init__(self, organization_id: int, size: int = QUEUE_SIZE) -> None:
        self.organization_id = organization_id
        self.queue: asyncio.Queue[LiveEvent] = asyncio.Queue(size)
        self.dropped = 0

    def offer(self, event: LiveEvent) -> None:
        if event.organization_id != self.organization_id:
            return  # a second guard: tenants never see each other's events
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.warning("a slow subscriber lost %d live events", self.dropped)
        self.queue.put_nowait(event)

    def __aiter__(self) -> AsyncIterator[LiveEvent]:
        return self

    async def __anext__(self) -> LiveEvent:
        return await self.queue.get()


class Broadcaster(Protocol):
    """Publishes committed events and lets subscribers listen to one organization's."""

    async def publish(self, events: Sequence[LiveEvent]) -> None: ...

    def listen(self, organization_id: int) -> AbstractAsyncContextManager[Listener]: ...

    async def close(self) -> None: ...


class LocalBroadcaster:
    """Fan-out inside one process: enough for one worker, and the default."""

    def __init__(self) -> None:
        self._listeners: defaultdict[int, set[Listener]] = defaultdict(set)

    async def publish(self, events: Sequence[LiveEvent]) -> None:
        for event in events:
            self.deliver(event)

    def deliver(self, event: LiveEvent) -> None:
        for listener in list(self._listeners.get(event.organization_id, ())):
            listener.offer(event)

    def listening(self, organization_id: int) -> int:
        """How many listeners this process has for `organization_id`."""
        return len(self._listeners.get(organization_id, ()))

    @asynccontextmanager
    async def listen(self, organization_id: int) -> AsyncIterator[Listener]:
        listener = Listener(organization_id)
        self._listeners[organization_id].add(listener)
        try:
            yield listener
        finally:
            listeners = self._listeners[organization_id]
            listeners.discard(listener)
            if not listeners:
                del self._listeners[organization_id]

    async def close(self) -> None:
        self._listeners.clear()
