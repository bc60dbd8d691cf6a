"""Publishing scheduled content when it is due, exactly once however many workers run it.

`publish_due` claims due rows with one conditional UPDATE ... WHERE status = 'scheduled'
RETURNING id (on PostgreSQL over a `FOR UPDATE SKIP LOCKED` selection, so concurrent workers
take different rows instead of queueing on the same ones). A row another worker has already
flipped no longer matches, so each item is published, and announces content.published, once:
the flip, the event and the rollups commit in one transaction. `PublishLoop` runs it in the
server; `townsquare publish-due` runs one pass from cron.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select

from domain.db import Database, transaction
from domain.entities import Content
from domain.enums import ContentStatus
from domain.services.content import announce_many_published
from domain.timeutil import as_utc, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 100
SCHEDULED = ContentStatus.SCHEDULED.value


async def publish_due(
    database: Database, now: datetime | None = None, *, batch_size: int = BATCH_SIZE
) -> int:
    """Publish every item scheduled at or before `now` (default: now); how many this call did."""
    moment = as_utc(now) if now is not None else utcnow()
    published = 0
    while True:
        count = await _publish_batch(database, moment, batch_size)
        published += count
        if count < batch_size:
            return published


async def _publish_batch(database: Database, now: datetime, batch_size: int) -> int:
    # Due content of every organization in one pass: a cross-tenant job (row-level security).
    async with database.session(cross_tenant=True) as session, transaction(session):
        due = (
            select(col(Content.id))
            .where(
                col(Content.status) == SCHEDULED,
                col(Content.scheduled_at) <= now,
                col(Content.deleted_at).is_(None),
            )
            .order_by(col(Content.scheduled_at), col(Content.id))
            .limit(batch_size)
        )
        if database.dialect == "postgresql":
            due = due.with_for_update(skip_locked=True)
        claimed = await session.execute(
            update(Content)
            .where(col(Content.id).in_(due.scalar_subquery()), col(Content.status) == SCHEDULED)
            .values(
                status=ContentStatus.PUBLISHED.value,
                published_at=now,
                updated_at=now,
                version=Content.version + 1,
            )
            .returning(col(Content.id))
            .execution_options(synchronize_session=False)
        )
        ids = list(claimed.scalars().all())
        if not ids:
            return 0
        rows = await session.scalars(
            select(Content)
            .where(col(Content.id).in_(ids))
            .order_by(col(Content.id))
            .execution_options(populate_existing=True)
        )
        await announce_many_published(session, rows.all())
    return len(ids)


class PublishLoop:
    """Runs `publish_due` every `interval_seconds` until stopped (the server's scheduler)."""

    def __init__(self, database: Database, interval_seconds: float) -> None:
        self.database = database
        self.interval = interval_seconds
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="publish-due")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                published = await publish_due(self.database)
                if published:
                    log.info("published %d scheduled items", published)
            except Exception:
                # A database hiccup must not stop publishing for the life of the server.
                log.exception("publishing due content failed")
            await asyncio.sleep(self.interval)
