"""Queries of campaigns: the campaigns list and the content calendar."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from api.campaigns.types import CalendarItem, Campaign, CampaignConnection
from api.connections import from_page, page_request
from api.errors import or_query_error
from api.payloads import InputIds


@strawberry.type
class CampaignQuery:
    @strawberry.field(description="The organization's campaigns, newest first.")
    async def campaigns(
        self,
        info: strawberry.Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> CampaignConnection:
        context = info.context
        service = context.services.campaigns
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.page, request))
        return from_page(
            CampaignConnection, page, Campaign.from_row, lambda: context.run(service.total)
        )

    @strawberry.field(
        description="Scheduled and published content dated in [from, to), oldest first, "
        "optionally of some communities only; at most 366 days and 1000 items."
    )
    async def calendar(
        self,
        info: strawberry.Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        community_ids: list[strawberry.ID] | None = None,
    ) -> list[CalendarItem]:
        context = info.context
        ids = InputIds()
        communities = None
        if community_ids is not None:
            communities = [ids.of(value, "Community") for value in community_ids]
        service = context.services.campaigns
        items = await or_query_error(lambda: context.run(service.calendar, from_, to, communities))
        return [CalendarItem.from_item(item) for item in items]
