"""The dispatcher as a background task: a pass every few seconds, sooner when events commit."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from domain.db import Database
from domain.events import DomainEvent
from domain.webhooks.dispatch import DeliverySettings, Dispatcher
from domain.webhooks.service import WEBHOOK_EVENTS

log = logging.getLogger(__name__)


class DeliveryLoop:
    """Runs `Dispatcher.run_once` until stopped; a committed webhook event wakes it early."""

    def __init__(
        self,
        database: Database,
        settings: DeliverySettings | None = None,
        *,
        interval_seconds: float = 2.0,
    ) -> None:
        self.dispatcher = Dispatcher(database, settings)
        self.database = database
        self.interval = interval_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe = database.events.subscribe(self._heard)

    async def _heard(self, events: Sequence[DomainEvent]) -> None:
        if any(event.name in WEBHOOK_EVENTS for event in events):
            self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-delivery")

    async def stop(self) -> None:
        self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await self.dispatcher.run_once()
            except Exception:
                # A database hiccup must not end deliveries for the life of the server.
                log.exception("webhook delivery pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
