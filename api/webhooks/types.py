"""GraphQL types of webhooks: the subscription, its deliveries, their enums and connections.

Webhooks are integration settings: only the roles that may manage them (owner, manager) can
read them, through `webhooks` or `node(id:)`; to any other key their ids are unknown ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry import relay

from api.connections import Connection, from_page, page_request
from api.nodes import load_nodes
from api.permissions import may_see_node
from domain.webhooks import tables


@strawberry.enum(description="What a webhook can be told about.")
class WebhookEvent(Enum):
    CONTENT_PUBLISHED = "content.published"
    MENTION_ESCALATED = "mention.escalated"
    ESCALATION_RESOLVED = "escalation.resolved"
    ALERT_RAISED = "alert.raised"
    CONVERSION_RECORDED = "conversion.recorded"
    SIMULATION_FINISHED = "simulation.finished"


@strawberry.enum(description="Where a delivery stands.")
class WebhookDeliveryStatus(Enum):
    PENDING = tables.PENDING
    SUCCEEDED = tables.SUCCEEDED
    FAILED = tables.FAILED


def may_manage(info: strawberry.Info, type_name: str = "Webhook") -> bool:
    return may_see_node(type_name, info.context.principal.role)


@strawberry.type(description="One event owed to a webhook: its attempts and how they went.")
class WebhookDelivery(relay.Node):
    id: relay.NodeID[int]
    event: WebhookEvent
    delivery_id: str = strawberry.field(
        description="Sent as the Townsquare-Delivery header on every attempt; dedupe on it."
    )
    status: WebhookDeliveryStatus
    attempts: int = strawberry.field(description="Attempts made so far.")
    status_code: int | None = strawberry.field(description="HTTP status of the last attempt.")
    error: str | None = strawberry.field(description="Why the last attempt failed.")
    duration_ms: int | None = strawberry.field(description="How long the last attempt took.")
    last_attempt_at: datetime | None
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null once delivered or failed."
    )
    delivered_at: datetime | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: tables.WebhookDelivery) -> WebhookDelivery:
        assert row.id is not None
        pending = row.status == tables.PENDING
        return cls(
            id=row.id,
            event=WebhookEvent(row.event_name),
            delivery_id=row.delivery_key,
            status=WebhookDeliveryStatus(row.status),
            attempts=row.attempts,
            status_code=row.last_status_code,
            error=row.last_error,
            duration_ms=row.last_duration_ms,
            last_attempt_at=row.last_attempt_at,
            next_attempt_at=row.next_attempt_at if pending else None,
            delivered_at=row.delivered_at,
            created_at=row.created_at,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        if not may_manage(info, "WebhookDelivery"):
            return [None for _ in node_ids]
        return await load_nodes(info.context.loaders.webhooks.deliveries, cls.from_row, node_ids)


@strawberry.type(description="A page of deliveries, newest first.")
class WebhookDeliveryConnection(Connection[WebhookDelivery]):
    pass


@strawberry.type(description="A URL subscribed to some events; deliveries are signed.")
class Webhook(relay.Node):
    id: relay.NodeID[int]
    url: str
    events: list[WebhookEvent]
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int = strawberry.field(
        description="Raised by every change; send it back as `expectedVersion` to update safely."
    )

    @classmethod
    def from_row(cls, row: tables.Webhook) -> Webhook:
        assert row.id is not None
        return cls(
            id=row.id,
            url=row.url,
            events=[WebhookEvent(name) for name in row.events],
            description=row.description,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: strawberry.Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        if not may_manage(info):
            return [None for _ in node_ids]
        return await load_nodes(info.context.loaders.webhooks.webhooks, cls.from_row, node_ids)

    @strawberry.field(description="The delivery log of this webhook, newest first.")
    async def deliveries(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> WebhookDeliveryConnection:
        request = page_request(first, after, last, before)
        loaders = info.context.loaders.webhooks
        page = await loaders.delivery_pages.load(("webhook_id", self.id, None, request))
        return from_page(
            WebhookDeliveryConnection,
            page,
            WebhookDelivery.from_row,
            lambda: loaders.delivery_counts.load(("webhook_id", self.id, None)),
        )


@strawberry.type(description="A page of webhooks, newest first.")
class WebhookConnection(Connection[Webhook]):
    pass
