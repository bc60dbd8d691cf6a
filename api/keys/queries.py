"""The `apiKeys` query: the organization's keys, for owners."""

from __future__ import annotations

import strawberry

from api.connections import from_page, page_request
from api.errors import or_query_error
from api.keys.types import ApiKey, ApiKeyConnection


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(description="The organization's API keys, newest first (owners).")
    async def api_keys(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> ApiKeyConnection:
        context = info.context
        service = context.services.keys
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.page, request))
        return from_page(
            ApiKeyConnection, page, ApiKey.from_row, lambda: context.run(service.total)
        )
