"""From the outbox to receivers: fan events out into deliveries, then send the due ones.

`fan_out` reads `domain_event` rows past the stored mark and creates one `webhook_delivery` per
subscribed, active webhook. Ids of concurrent transactions may commit out of order, so the mark
only moves past events older than `settle_seconds`; younger ones are read again next time and
a unique (webhook, event) pair keeps that from creating duplicates.

`send_due` claims due deliveries in one UPDATE (with FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite runs one writer at a time), which also leases them for `lease_seconds`: a worker that
dies mid-send leaves the row to come due again, so a delivery is sent at least once and never
lost, and the stable `Townsquare-Delivery` id lets receivers drop a repeat.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import orjson
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain.db import Database, transaction
from domain.events import DomainEvent
from domain.timeutil import utcnow
from domain.webhooks.backoff import RetryPolicy
from domain.webhooks.service import WEBHOOK_EVENTS
from domain.webhooks.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    signature_header,
)
from domain.webhooks.tables import (
    FAILED,
    PENDING,
    SUCCEEDED,
    Webhook,
    WebhookDelivery,
    WebhookDispatchMark,
)
from domain.webhooks.urls import UnsafeUrl, check_url

log = logging.getLogger(__name__)
MARK_NAME = "webhooks"
USER_AGENT = "Townsquare-Webhooks/1"
MAX_ERROR_LENGTH = 500


@dataclass(frozen=True)
class DeliverySettings:
    """How deliveries are made; tests shrink the delays."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout_seconds: float = 10.0
    lease_seconds: float = 120.0
    settle_seconds: float = 10.0
    batch_size: int = 200
    concurrency: int = 10
    allow_private: bool = False


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to."""

    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    permanent: bool = False


class Dispatcher:
    """Fans the outbox out into deliveries and sends those that are due."""

    def __init__(
        self,
        database: Database,
        settings: DeliverySettings | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.database = database
        self.settings = settings or DeliverySettings()
        self._client = client
        self._rng = rng or random.Random()

    async def run_once(self) -> tuple[int, int]:
        """One pass: (deliveries created, attempts made)."""
        created = await self.fan_out()
        sent = await self.send_due()
        return created, sent

    # -- fan out ---------------------------------------------------------------------------

    async def fan_out(self) -> int:
        """Create the deliveries owed for events past the mark; returns how many."""
        created = 0
        # The dispatcher serves every organization: its sessions pass row-level security.
        async with self.database.session(cross_tenant=True) as session, transaction(session):
            mark = await _locked_mark(session)
            after = mark.last_event_id
            horizon = utcnow() - timedelta(seconds=self.settings.settle_seconds)
            movable = True
            while True:
                batch = await _events_after(session, after, self.settings.batch_size)
                if not batch:
                    break
                created += await _create_deliveries(session, batch)
                for event in batch:
                    assert event.id is not None
                    # Only an unbroken run of settled events from the mark on may move it.
                    movable = movable and event.occurred_at < horizon
                    if movable:
                        mark.last_event_id = event.id
                    after = event.id
                if len(batch) < self.settings.batch_size:
                    break
            mark.updated_at = utcnow()
            session.add(mark)
        return created

    # -- send ------------------------------------------------------------------------------

    async def send_due(self) -> int:
        """Claim the due deliveries, send them, record each outcome; returns attempts made."""
        token, claimed = await self._claim()
        if not claimed:
            return 0
        gate = asyncio.Semaphore(self.settings.concurrency)
        client = self._client or httpx.AsyncClient(
            timeout=self.settings.timeout_seconds, follow_redirects=False
        )
        try:

            async def one(item: tuple[WebhookDelivery, Webhook, DomainEvent]) -> None:
                async with gate:
                    outcome = await self._attempt(client, *item)
                await self._record(item[0], token, outcome)

            await asyncio.gather(*(one(item) for item in claimed))
        finally:
            if self._client is None:
                await client.aclose()
        return len(claimed)

    async def _claim(self) -> tuple[str, list[tuple[WebhookDelivery, Webhook, DomainEvent]]]:
        token = uuid.uuid4().hex
        now = utcnow()
        lease_end = now + timedelta(seconds=self.settings.lease_seconds)
        async with self.database.session(cross_tenant=True) as session:
            async with transaction(session):
                due = (
                    select(col(WebhookDelivery.id))
                    .where(
                        col(WebhookDelivery.status) == PENDING,
                        col(WebhookDelivery.next_attempt_at) <= now,
                    )
                    .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
                    .limit(self.settings.batch_size)
                )
                if self.database.dialect == "postgresql":
                    due = due.with_for_update(skip_locked=True)
                await session.execute(
                    update(WebhookDelivery)
                    .where(
                        col(WebhookDelivery.id).in_(due.scalar_subquery()),
                        col(WebhookDelivery.status) == PENDING,
                        col(WebhookDelivery.next_attempt_at) <= now,
                    )
                    .values(claim_token=token, next_attempt_at=lease_end)
                    .execution_options(synchronize_session=False)
                )
            rows = (
                await session.execute(
                    select(WebhookDelivery, Webhook, DomainEvent)
                    .join(Webhook, col(Webhook.id) == col(WebhookDelivery.webhook_id))
                    .join(DomainEvent, col(DomainEvent.id) == col(WebhookDelivery.event_id))
                    .where(col(WebhookDelivery.claim_token) == token)
                    .order_by(col(WebhookDelivery.id))
                )
            ).all()
        return token, [(d, w, e) for d, w, e in rows]

    async def _attempt(
        self, client: httpx.AsyncClient, delivery: WebhookDelivery, webhook: Webhook, event: Any
    ) -> Outcome:
        started = time.perf_counter()
        if not webhook.active:
            return Outcome(False, None, "the webhook is disabled", 0, permanent=True)
        try:
            await check_url(webhook.url, allow_private=self.settings.allow_private)
        except UnsafeUrl as error:
            return Outcome(False, None, f"refused: {error}", 0, permanent=True)
        body = delivery_body(delivery, event)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            DELIVERY_HEADER: delivery.delivery_key,
            EVENT_HEADER: delivery.event_name,
            SIGNATURE_HEADER: signature_header(webhook.secret, body),
        }
        try:
            response = await client.post(webhook.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            elapsed = _ms_since(started)
            return Outcome(False, None, _describe(error), elapsed)
        elapsed = _ms_since(started)
        if 200 <= response.status_code < 300:
            return Outcome(True, response.status_code, None, elapsed)
        return Outcome(False, response.status_code, f"HTTP {response.status_code}", elapsed)

    async def _record(self, delivery: WebhookDelivery, token: str, outcome: Outcome) -> None:
        attempts = delivery.attempts + 1
        now = utcnow()
        values: dict[str, Any] = {
            "attempts": attempts,
            "claim_token": None,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error[:MAX_ERROR_LENGTH] if outcome.error else None,
            "last_duration_ms": outcome.duration_ms,
            "last_attempt_at": now,
        }
        if outcome.ok:
            values.update(status=SUCCEEDED, delivered_at=now, next_attempt_at=None)
        elif outcome.permanent or self.settings.retry.gives_up_after(attempts):
            values.update(status=FAILED, next_attempt_at=None)
        else:
            delay = self.settings.retry.delay(attempts, self._rng)
            values.update(next_attempt_at=now + timedelta(seconds=delay))
        async with self.database.session(cross_tenant=True) as session, transaction(session):
            # Only the holder of the claim records; a worker whose lease ran out does not.
            await session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id) == delivery.id,
                    col(WebhookDelivery.claim_token) == token,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )


def delivery_body(delivery: WebhookDelivery, event: DomainEvent) -> bytes:
    """The JSON sent for one delivery; the same bytes on every attempt."""
    subject = None
    if event.subject_type and event.subject_id is not None:
        subject = {
            "type": event.subject_type,
            "id": _global_id(event.subject_type, event.subject_id),
        }
    document = {
        "id": delivery.delivery_key,
        "event": event.name,
        "occurredAt": event.occurred_at.isoformat(),
        "organizationId": _global_id("Organization", event.organization_id),
        "subject": subject,
        "data": event.payload,
    }
    return orjson.dumps(document)


def _global_id(type_name: str, row_id: int) -> str:
    # The API's global ids (base64 of "Type:id"); the receiver can pass them to `node(id:)`.
    return base64.b64encode(f"{type_name}:{row_id}".encode()).decode()


async def _locked_mark(session: AsyncSession) -> WebhookDispatchMark:
    """The dispatch mark, locked for this transaction (an UPDATE takes the row lock first)."""
    touched = await session.execute(
        update(WebhookDispatchMark)
        .where(col(WebhookDispatchMark.name) == MARK_NAME)
        .values(updated_at=utcnow())
    )
    if getattr(touched, "rowcount", 0) == 0:
        session.add(WebhookDispatchMark(name=MARK_NAME, last_event_id=0))
        await session.flush()
    mark = await session.get(WebhookDispatchMark, MARK_NAME, populate_existing=True)
    assert mark is not None
    return mark


async def _events_after(session: AsyncSession, after: int, limit: int) -> list[DomainEvent]:
    stmt = (
        select(DomainEvent)
        .where(
            col(DomainEvent.id) > after,
            col(DomainEvent.name).in_(WEBHOOK_EVENTS),
        )
        .order_by(col(DomainEvent.id))
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def _create_deliveries(session: AsyncSession, batch: Sequence[DomainEvent]) -> int:
    organizations = {e.organization_id for e in batch}
    hooks = (
        await session.scalars(
            select(Webhook).where(
                col(Webhook.organization_id).in_(organizations),
                col(Webhook.active).is_(True),
            )
        )
    ).all()
    if not hooks:
        return 0
    event_ids = [e.id for e in batch]
    existing = set(
        (
            await session.execute(
                select(col(WebhookDelivery.webhook_id), col(WebhookDelivery.event_id)).where(
                    col(WebhookDelivery.event_id).in_(event_ids)
                )
            )
        ).all()
    )
    created = 0
    for event in batch:
        for hook in hooks:
            if not _wants(hook, event) or (hook.id, event.id) in existing:
                continue
            assert hook.id is not None
            assert event.id is not None
            session.add(
                WebhookDelivery(
                    organization_id=event.organization_id,
                    webhook_id=hook.id,
                    event_id=event.id,
                    event_name=event.name,
                    delivery_key=str(uuid.uuid4()),
                )
            )
            created += 1
    await session.flush()
    return created


def _wants(hook: Webhook, event: DomainEvent) -> bool:
    # A webhook hears only what happened after it was made, in its own organization.
    return (
        hook.organization_id == event.organization_id
        and event.name in hook.events
        and event.occurred_at >= hook.created_at
    )


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def _describe(error: httpx.HTTPError) -> str:
    text = str(error) or type(error).__name__
    return f"{type(error).__name__}: {text}"
