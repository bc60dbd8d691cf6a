"""Loaders for webhooks and their deliveries."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from api.batching import CountKey, PageKey, by_id, counts_by_parent, pages_by_parent
from domain.pagination import Page, PageRequest
from domain.webhooks.tables import Webhook, WebhookDelivery

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class WebhookLoaders:
    webhooks: DataLoader[int, Webhook | None]
    deliveries: DataLoader[int, WebhookDelivery | None]
    delivery_pages: DataLoader[PageKey, Page[Any]]
    delivery_counts: DataLoader[CountKey, int]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> WebhookLoaders:
        webhooks = services.webhooks

        async def pages(
            _parent: str, ids: Sequence[int], _where: Any, request: PageRequest
        ) -> dict[int, Page[Any]]:
            return dict(await webhooks.delivery_pages(ids, request))

        async def counts(_parent: str, ids: Sequence[int], _where: Any) -> dict[int, int]:
            return await webhooks.delivery_counts(ids)

        return cls(
            webhooks=by_id(lock, webhooks.get_many),
            deliveries=by_id(lock, webhooks.get_deliveries),
            delivery_pages=pages_by_parent(lock, pages),
            delivery_counts=counts_by_parent(lock, counts),
        )
