"""Top-level queries of the webhooks area: the webhooks connection."""

from __future__ import annotations

import strawberry

from api.connections import from_page, page_request
from api.errors import or_query_error
from api.webhooks.types import Webhook, WebhookConnection


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The organization's webhooks, newest first.")
    async def webhooks(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> WebhookConnection:
        context = info.context
        request = page_request(first, after, last, before)
        service = context.services.webhooks
        page = await or_query_error(lambda: context.run(service.list, request))
        return from_page(
            WebhookConnection, page, Webhook.from_row, lambda: context.run(service.total)
        )
