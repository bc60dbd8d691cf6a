"""Top-level queries of the communities area: the communities connection."""

from __future__ import annotations

import strawberry

from api.communities.types import Community, CommunityConnection, CommunityFilter, CommunityOrderBy
from api.connections import from_page, page_request
from api.enums import OrderDirection
from api.errors import or_query_error


@strawberry.type
class CommunityQuery:
    @strawberry.field(description="The organization's communities, archived ones on request.")
    async def communities(
        self,
        info: strawberry.Info,
        filter: CommunityFilter | None = None,
        order_by: CommunityOrderBy | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CommunityConnection:
        context = info.context
        request = page_request(first, after, last, before)
        where = (filter or CommunityFilter()).to_domain()
        order = order_by or CommunityOrderBy()
        descending = order.direction == OrderDirection.DESC
        service = context.services.communities
        page = await or_query_error(
            lambda: context.run(service.list, where, request, order.field, descending)
        )
        return from_page(
            CommunityConnection,
            page,
            Community.from_row,
            lambda: context.run(service.total, where),
        )
