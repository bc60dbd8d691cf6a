"""Mutations of webhooks: create (the signing secret is shown once), update, delete."""

from __future__ import annotations

import strawberry

from api.errors import UserError
from api.ids import encode_id
from api.payloads import InputIds, expected_version, perform
from api.webhooks.types import Webhook, WebhookEvent
from domain.webhooks.service import WebhookChanges, WebhookDraft
from domain.webhooks.tables import Webhook as WebhookRow


@strawberry.input
class WebhookCreateInput:
    url: str = strawberry.field(description="http(s) URL; production refuses private addresses.")
    events: list[WebhookEvent]
    description: str = ""
    active: bool = True


@strawberry.input(description="Fields to change; those left out stay as they are.")
class WebhookUpdateInput:
    id: strawberry.ID
    url: str | None = None
    events: list[WebhookEvent] | None = None
    description: str | None = None
    active: bool | None = None
    expected_version: int | None = expected_version()


@strawberry.input
class WebhookDeleteInput:
    id: strawberry.ID


@strawberry.type
class WebhookCreatePayload:
    webhook: Webhook | None
    signing_secret: str | None = strawberry.field(
        description="The HMAC-SHA256 secret that signs deliveries; shown only here, once."
    )
    user_errors: list[UserError]


@strawberry.type
class WebhookUpdatePayload:
    webhook: Webhook | None
    user_errors: list[UserError]


@strawberry.type
class WebhookDeletePayload:
    deleted_webhook_id: strawberry.ID | None
    user_errors: list[UserError]


def _webhook(row: WebhookRow | None) -> Webhook | None:
    return None if row is None else Webhook.from_row(row)


def _names(events: list[WebhookEvent] | None) -> tuple[str, ...] | None:
    return None if events is None else tuple(event.value for event in events)


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(description="Subscribe a URL to events; returns the signing secret once.")
    async def webhook_create(
        self, info: strawberry.Info, input: WebhookCreateInput
    ) -> WebhookCreatePayload:
        draft = WebhookDraft(
            url=input.url,
            events=_names(input.events) or (),
            description=input.description,
            active=input.active,
        )
        service = info.context.services.webhooks
        created, errors = await perform(info, lambda: service.create(draft))
        if created is None:
            return WebhookCreatePayload(webhook=None, signing_secret=None, user_errors=errors)
        return WebhookCreatePayload(
            webhook=_webhook(created.webhook), signing_secret=created.secret, user_errors=[]
        )

    @strawberry.mutation(description="Change a webhook's URL, events, description or state.")
    async def webhook_update(
        self, info: strawberry.Info, input: WebhookUpdateInput
    ) -> WebhookUpdatePayload:
        webhook_id = InputIds().of(input.id, "Webhook")
        changes = WebhookChanges(
            url=input.url,
            events=_names(input.events),
            description=input.description,
            active=input.active,
            expected_version=input.expected_version,
        )
        service = info.context.services.webhooks
        row, errors = await perform(info, lambda: service.update(webhook_id, changes))
        return WebhookUpdatePayload(webhook=_webhook(row), user_errors=errors)

    @strawberry.mutation(description="Delete a webhook and its delivery log.")
    async def webhook_delete(
        self, info: strawberry.Info, input: WebhookDeleteInput
    ) -> WebhookDeletePayload:
        webhook_id = InputIds().of(input.id, "Webhook")
        service = info.context.services.webhooks
        deleted, errors = await perform(info, lambda: service.delete(webhook_id))
        gone = None if deleted is None else strawberry.ID(encode_id("Webhook", deleted))
        return WebhookDeletePayload(deleted_webhook_id=gone, user_errors=errors)
