"""Queries of listening: the inbox, escalations and their history, alerts."""

from __future__ import annotations

import strawberry

from api.connections import from_page, page_request
from api.errors import or_query_error
from api.listening.enums import EscalationStatus
from api.listening.types import (
    Alert,
    AlertConnection,
    Escalation,
    EscalationChange,
    EscalationChangeConnection,
    EscalationConnection,
    Mention,
    MentionConnection,
    MentionFilter,
)
from api.selection import item_selects
from domain.listening.repositories import MentionFilter as DomainMentionFilter
from domain.pagination import PageRequest


async def history_of(
    info: strawberry.Info, escalation_id: int, request: PageRequest
) -> EscalationChangeConnection:
    context = info.context
    service = context.services.escalations
    page = await or_query_error(lambda: context.run(service.history, escalation_id, request))
    return from_page(
        EscalationChangeConnection,
        page,
        EscalationChange.from_row,
        lambda: context.run(service.history_total, escalation_id),
    )


@strawberry.type
class ListeningQuery:
    @strawberry.field(description="The inbox: mentions newest first, narrowed by `filter`.")
    async def mentions(
        self,
        info: strawberry.Info,
        filter: MentionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> MentionConnection:
        context = info.context
        service = context.services.mentions
        where = filter.to_domain() if filter is not None else DomainMentionFilter()
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.inbox, where, request))
        if item_selects(info, "author"):
            # One batch of the page's authors now, so each mention's author answers at once.
            authors = {row.author_member_id for row in page.items} - {None}
            await context.loaders.members.members.load_many(authors)
        return from_page(
            MentionConnection,
            page,
            Mention.from_row,
            lambda: context.run(service.inbox_total, where),
        )

    @strawberry.field(description="Escalations newest first, optionally of one status.")
    async def escalations(
        self,
        info: strawberry.Info,
        status: EscalationStatus | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> EscalationConnection:
        context = info.context
        service = context.services.escalations
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.page, status, request))
        return from_page(
            EscalationConnection,
            page,
            Escalation.from_row,
            lambda: context.run(service.total, status),
        )

    @strawberry.field(description="Negative-snowball alerts newest first; `open` keeps live ones.")
    async def alerts(
        self,
        info: strawberry.Info,
        open: bool = False,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> AlertConnection:
        context = info.context
        service = context.services.alerts
        request = page_request(first, after, last, before)
        page = await or_query_error(lambda: context.run(service.page, open, request))
        return from_page(
            AlertConnection, page, Alert.from_row, lambda: context.run(service.total, open)
        )
