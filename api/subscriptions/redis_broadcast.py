"""Redis pub/sub as the broadcaster, so that an event committed by one worker reaches the
subscribers of every worker (TOWNSQUARE_REDIS_URL).

Each organization has its own channel. A process keeps one pub/sub connection, subscribes to an
organization's channel while it has at least one local subscriber of that organization, and
fans what it reads out to them in-process; publishing goes only through Redis, so the
publishing worker's own subscribers hear an event once, like everyone else's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import Redis

from api.subscriptions.broadcast import Listener, LocalBroadcaster
from api.subscriptions.events import LiveEvent

log = logging.getLogger(__name__)

CHANNEL_PREFIX = "townsquare:live:org:"
# How long the reader waits for a message before looking again whether it should stop.
POLL_SECONDS = 1.0
# After a lost connection, wait this long before reading again (redis-py resubscribes).
RETRY_SECONDS = 1.0


class RedisBroadcaster:
    """Publishes to `<prefix><organization id>`; one reader per process fans messages out."""

    def __init__(self, url: str, *, prefix: str = CHANNEL_PREFIX) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.pubsub: Any = self.redis.pubsub()
        self.prefix = prefix
        self.local = LocalBroadcaster()
        self._followed: Counter[int] = Counter()
        self._lock = asyncio.Lock()
        self._wanted = asyncio.Event()
        self._reader: asyncio.Task[None] | None = None

    def channel(self, organization_id: int) -> str:
        return f"{self.prefix}{organization_id}"

    async def publish(self, events: Sequence[LiveEvent]) -> None:
        if not events:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(self.channel(event.organization_id), event.encode())
            await pipe.execute()

    @asynccontextmanager
    async def listen(self, organization_id: int) -> AsyncIterator[Listener]:
        async with self.local.listen(organization_id) as listener:
            await self._follow(organization_id)
            try:
                yield listener
            finally:
                await self._unfollow(organization_id)

    async def _follow(self, organization_id: int) -> None:
        async with self._lock:
            self._followed[organization_id] += 1
            if self._followed[organization_id] == 1:
                await self.pubsub.subscribe(self.channel(organization_id))
            self._wanted.set()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="live-events-reader")

    async def _unfollow(self, organization_id: int) -> None:
        async with self._lock:
            self._followed[organization_id] -= 1
            if self._followed[organization_id] > 0:
                return
            del self._followed[organization_id]
            if not self._followed:
                self._wanted.clear()
            with contextlib.suppress(Exception):  # a dead connection has forgotten it anyway
                await self.pubsub.unsubscribe(self.channel(organization_id))

    async def _read(self) -> None:
        while True:
            await self._wanted.wait()
            try:
                message = await self.pubsub.get_message(
                    ignore_subscribe_messages=True, timeout=POLL_SECONDS
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reading live events from Redis failed; retrying")
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if message is not None and message.get("type") == "message":
                self._deliver(message["data"])

    def _deliver(self, data: bytes) -> None:
        try:
            event = LiveEvent.decode(data)
        except (TypeError, ValueError):
            log.warning("ignored a malformed live event on Redis")
            return
        self.local.deliver(event)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self.pubsub.aclose()
        await self.redis.aclose()
        await self.local.close()
