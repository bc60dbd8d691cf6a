"""Queries of the content area: content and engagement of any parent, batched."""

from __future__ import annotations

import strawberry

from api.connections import from_page
from api.content.types import (
    Content,
    ContentConnection,
    ContentFilter,
    Engagement,
    EngagementConnection,
    EngagementFilter,
)
from api.selection import item_selects
from domain.pagination import PageRequest
from domain.repositories.content import ContentFilter as DomainContentFilter
from domain.repositories.content import EngagementFilter as DomainEngagementFilter


async def content_of(
    info: strawberry.Info,
    parent: str,
    parent_id: int,
    where: ContentFilter | None,
    request: PageRequest,
) -> ContentConnection:
    """One page of a community's, author's or thread's content, batched with its siblings'."""
    loaders = info.context.loaders.content
    domain_filter = where.to_domain() if where is not None else DomainContentFilter()
    key = (parent, parent_id, domain_filter, request)
    if item_selects(info, "author"):
        # The page's authors come in the page's statement, into the members loader's cache,
        # so each item's `author` answers from it without an awaitable or a query of its own.
        page = await loaders.content_pages_with_authors.load(key)
        info.context.loaders.members.members.prime_many(page.extras["authors"])
    else:
        page = await loaders.content_pages.load(key)
    return from_page(
        ContentConnection,
        page,
        Content.from_row,
        lambda: loaders.content_counts.load((parent, parent_id, domain_filter)),
    )


async def engagements_of(
    info: strawberry.Info,
    parent: str,
    parent_id: int,
    where: EngagementFilter | None,
    request: PageRequest,
) -> EngagementConnection:
    """One page of a content's (or member's) engagement, batched with its siblings'."""
    loaders = info.context.loaders.content
    domain_filter = where.to_domain() if where is not None else DomainEngagementFilter()
    page = await loaders.engagement_pages.load((parent, parent_id, domain_filter, request))
    return from_page(
        EngagementConnection,
        page,
        Engagement.from_row,
        lambda: loaders.engagement_counts.load((parent, parent_id, domain_filter)),
    )
