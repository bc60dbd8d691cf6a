"""Managing an organization's webhooks and reading their delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete as sql_delete
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from domain import events
from domain.concurrency import next_version
from domain.db import transaction
from domain.errors import NotFound
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository
from domain.timeutil import utcnow
from domain.validation import Problems
from domain.webhooks.signing import new_secret
from domain.webhooks.tables import Webhook, WebhookDelivery
from domain.webhooks.urls import UnsafeUrl, check_url

# The events an organization may subscribe to; internal ones (metrics.updated) are not offered.
WEBHOOK_EVENTS: tuple[str, ...] = (
    events.CONTENT_PUBLISHED,
    events.MENTION_ESCALATED,
    events.ESCALATION_RESOLVED,
    events.ALERT_RAISED,
    events.CONVERSION_RECORDED,
    events.SIMULATION_FINISHED,
)
MAX_WEBHOOKS = 50
NEWEST_FIRST = Ordering((Webhook.id,), descending=True)
DELIVERIES_NEWEST_FIRST = Ordering((WebhookDelivery.id,), descending=True)


@dataclass(frozen=True)
class WebhookDraft:
    url: str
    events: tuple[str, ...]
    description: str = ""
    active: bool = True


@dataclass(frozen=True)
class WebhookChanges:
    """Fields to change; `None` leaves a field as it is."""

    url: str | None = None
    events: tuple[str, ...] | None = None
    description: str | None = None
    active: bool | None = None
    # The version the caller read; another one is a CONFLICT and nothing changes.
    expected_version: int | None = None


@dataclass(frozen=True)
class CreatedWebhook:
    """A new webhook and its signing secret, which is shown this once."""

    webhook: Webhook
    secret: str


class WebhookRepository(TenantRepository[Webhook]):
    model = Webhook


class DeliveryRepository(TenantRepository[WebhookDelivery]):
    model = WebhookDelivery


class WebhookService:
    def __init__(
        self, session: AsyncSession, organization_id: int, *, allow_private: bool = False
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.allow_private = allow_private
        self.repo = WebhookRepository(session, organization_id)
        self.deliveries = DeliveryRepository(session, organization_id)

    async def create(self, draft: WebhookDraft) -> CreatedWebhook:
        await self._check(draft.url, draft.events, draft.description)
        if await self.repo.count(self.repo.scoped()) >= MAX_WEBHOOKS:
            problems = Problems()
            problems.add(
                "url", f"an organization may have at most {MAX_WEBHOOKS} webhooks", "LIMIT"
            )
            problems.raise_if_any()
        secret = new_secret()
        async with transaction(self.session):
            webhook = self.repo.add(
                Webhook(
                    organization_id=self.organization_id,
                    url=draft.url.strip(),
                    events=sorted(set(draft.events)),
                    description=draft.description,
                    secret=secret,
                    active=draft.active,
                )
            )
            await self.session.flush()
        return CreatedWebhook(webhook, secret)

    async def update(self, webhook_id: int, changes: WebhookChanges) -> Webhook:
        await self._check(changes.url, changes.events, changes.description)
        async with transaction(self.session):
            webhook = await self._get(webhook_id)
            await next_version(self.session, webhook, changes.expected_version, "webhook")
            if changes.url is not None:
                webhook.url = changes.url.strip()
            if changes.events is not None:
                webhook.events = sorted(set(changes.events))
            if changes.description is not None:
                webhook.description = changes.description
            if changes.active is not None:
                webhook.active = changes.active
            webhook.updated_at = utcnow()
            self.session.add(webhook)
        return webhook

    async def delete(self, webhook_id: int) -> int:
        """Remove a webhook and its delivery log; pending deliveries are not sent."""
        async with transaction(self.session):
            webhook = await self._get(webhook_id)
            await self.session.execute(
                sql_delete(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
            )
            await self.session.delete(webhook)
        return webhook_id

    async def _get(self, webhook_id: int) -> Webhook:
        webhook = await self.repo.get(webhook_id)
        if webhook is None:
            raise NotFound.of("id", "webhook")
        return webhook

    async def _check(
        self, url: str | None, names: Sequence[str] | None, description: str | None
    ) -> None:
        problems = Problems()
        problems.text("description", description, low=0, high=500)
        if names is not None:
            if not names:
                problems.add("events", "subscribe to at least one event", "BLANK")
            for index, name in enumerate(names):
                if name not in WEBHOOK_EVENTS:
                    problems.add(f"events.{index}", f"no event is named {name!r}", "NOT_FOUND")
        if url is not None:
            try:
                await check_url(url, allow_private=self.allow_private)
            except UnsafeUrl as error:
                problems.add("url", str(error), error.code)
        problems.raise_if_any()

    async def get_many(self, webhook_ids: Sequence[int]) -> dict[int, Webhook]:
        return await self.repo.get_many(webhook_ids)

    async def list(self, request: PageRequest) -> Page[Webhook]:
        return await self.repo.page(self.repo.scoped(), NEWEST_FIRST, request)

    async def total(self) -> int:
        return await self.repo.count(self.repo.scoped())

    async def delivery_pages(
        self, webhook_ids: Sequence[int], request: PageRequest
    ) -> dict[int, Page[WebhookDelivery]]:
        return await self.deliveries.pages_by_parent(
            self.deliveries.scoped(), "webhook_id", webhook_ids, DELIVERIES_NEWEST_FIRST, request
        )

    async def delivery_counts(self, webhook_ids: Sequence[int]) -> dict[int, int]:
        return await self.deliveries.counts_by_parent(
            self.deliveries.scoped(), "webhook_id", webhook_ids
        )

    async def get_deliveries(self, delivery_ids: Sequence[int]) -> dict[int, WebhookDelivery]:
        return await self.deliveries.get_many(delivery_ids)
