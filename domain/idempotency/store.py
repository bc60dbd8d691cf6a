"""Begin, complete, abandon and purge idempotency keys; the rules live here, HTTP elsewhere.

`begin` inserts the key in its own short transaction before the request runs, so the unique
(organization, key) constraint decides which of two concurrent requests runs: the other sees
the row and is told the key is in progress (or, once the first has finished, gets its
response). A key is kept 24 hours; a key left in progress by a worker that died is given up
after `stale_after`, so the client can retry instead of waiting for a day.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlmodel import col

from domain.db import Database, transaction
from domain.errors import Conflict
from domain.idempotency.tables import COMPLETED, IN_PROGRESS, IdempotencyKey
from domain.timeutil import utcnow

log = logging.getLogger(__name__)
KEY_TTL = timedelta(hours=24)
STALE_AFTER = timedelta(minutes=5)
MAX_KEY_LENGTH = 255


class Verdict(enum.Enum):
    NEW = "new"  # run the request, then complete or abandon the key
    REPLAY = "replay"  # answer with the stored response
    MISMATCH = "mismatch"  # the key was used for a different request
    IN_PROGRESS = "in_progress"  # the first request with this key has not finished


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Claim:
    verdict: Verdict
    record_id: int | None = None
    response: StoredResponse | None = None


def well_formed(key: str) -> bool:
    """1 to 255 printable ASCII characters (a UUID is the usual choice)."""
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isascii() and key.isprintable()


class IdempotencyStore:
    def __init__(
        self,
        database: Database,
        *,
        ttl: timedelta = KEY_TTL,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self.database = database
        self.ttl = ttl
        self.stale_after = stale_after

    async def begin(self, organization_id: int, key: str, request_hash: str) -> Claim:
        """Take the key for this request, or say why not (replay, mismatch, in progress)."""
        for _ in range(3):
            record_id, existing = await self._insert_or_read(organization_id, key, request_hash)
            if record_id is not None:
                return Claim(Verdict.NEW, record_id)
            if existing is None:
                continue  # removed between our insert and our read: try again
            if self._dead(existing):
                await self._remove(organization_id, existing.id)
                continue
            return _verdict(existing, request_hash)
        return Claim(Verdict.IN_PROGRESS)

    async def _insert_or_read(
        self, organization_id: int, key: str, request_hash: str
    ) -> tuple[int | None, IdempotencyKey | None]:
        """(id of the row we inserted, None), or (None, the row that was there first)."""
        async with self.database.session(organization_id=organization_id) as session:
            try:
                async with transaction(session):
                    record = IdempotencyKey(
                        organization_id=organization_id, key=key, request_hash=request_hash
                    )
                    session.add(record)
                    await session.flush()
                return record.id, None
            except Conflict:
                pass
            existing = await session.scalar(
                select(IdempotencyKey).where(
                    col(IdempotencyKey.organization_id) == organization_id,
                    col(IdempotencyKey.key) == key,
                )
            )
            await session.commit()
            return None, existing

    def _dead(self, record: IdempotencyKey) -> bool:
        age = utcnow() - record.created_at
        if age > self.ttl:
            return True
        return record.status == IN_PROGRESS and age > self.stale_after

    async def _remove(self, organization_id: int, record_id: int | None) -> None:
        session_scope = self.database.session(organization_id=organization_id)
        async with session_scope as session, transaction(session):
            await session.execute(delete(IdempotencyKey).where(col(IdempotencyKey.id) == record_id))

    async def complete(
        self, organization_id: int, record_id: int, response: StoredResponse
    ) -> None:
        """Store the response the request got; repeats of the key replay it."""
        session_scope = self.database.session(organization_id=organization_id)
        async with session_scope as session, transaction(session):
            await session.execute(
                update(IdempotencyKey)
                .where(col(IdempotencyKey.id) == record_id)
                .values(
                    status=COMPLETED,
                    response_status=response.status,
                    response_content_type=response.content_type,
                    response_body=response.body,
                    completed_at=utcnow(),
                )
            )

    async def abandon(self, organization_id: int, record_id: int) -> None:
        """Forget a key whose request failed before writing anything, so it may be retried."""
        await self._remove(organization_id, record_id)

    async def purge(self) -> int:
        """Delete keys older than the time to live; returns how many."""
        cutoff = utcnow() - self.ttl
        # Expired keys of every organization at once: a cross-tenant job.
        async with self.database.session(cross_tenant=True) as session, transaction(session):
            result = await session.execute(
                delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < cutoff)
            )
        return int(getattr(result, "rowcount", 0) or 0)


async def purge_periodically(store: IdempotencyStore, interval_seconds: float = 3600) -> None:
    """Purge expired keys every `interval_seconds` until cancelled (a server background task)."""
    while True:
        try:
            await store.purge()
        except Exception:
            # A failed purge only leaves expired rows a little longer; lookups ignore them.
            log.exception("purging expired idempotency keys failed")
        await asyncio.sleep(interval_seconds)


def _verdict(record: IdempotencyKey, request_hash: str) -> Claim:
    if record.request_hash != request_hash:
        return Claim(Verdict.MISMATCH, record.id)
    if record.status != COMPLETED or record.response_status is None:
        return Claim(Verdict.IN_PROGRESS, record.id)
    stored = StoredResponse(
        record.response_status, record.response_content_type, record.response_body or b""
    )
    return Claim(Verdict.REPLAY, record.id, stored)
