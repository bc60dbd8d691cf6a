"""Relay connections built from the domain's keyset pages.

Strawberry's `relay.connection` slices an iterable it is handed, which would load whole lists;
our pages come from the database already cut by keyset, so each connection field takes the
Relay arguments itself and wraps a domain `Page` in Strawberry's relay `Connection`, `Edge`
and `PageInfo` types.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry
from strawberry import relay

from api.errors import query_error
from domain.errors import DomainError
from domain.pagination import MAX_PAGE_SIZE, Page, PageRequest

__all__ = ["MAX_PAGE_SIZE", "Connection", "from_page", "page_request"]

NodeType = TypeVar("NodeType", bound=relay.Node)
C = TypeVar("C", bound="Connection[Any]")

PAGE_ARGUMENTS_HELP = f"`first` and `last` may be at most {MAX_PAGE_SIZE}."


@strawberry.type(name="Connection", description="A page of a list, with cursors and a total.")
class Connection(relay.Connection[NodeType], Generic[NodeType]):
    nodes: list[NodeType] = strawberry.field(description="The nodes of this page, without edges.")
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items the whole list holds (counted when asked).")
    async def total_count(self) -> int:
        return await self.counter()


def page_request(
    first: int | None, after: str | None, last: int | None, before: str | None
) -> PageRequest:
    """Validated Relay arguments; a page too large or a foreign cursor is a GraphQL error."""
    try:
        return PageRequest(first=first, after=after, last=last, before=before).validated()
    except DomainError as error:
        raise query_error(error) from error


def from_page(
    cls: type[C],
    page: Page[Any],
    convert: Callable[[Any], Any],
    counter: Callable[[], Awaitable[int]],
) -> C:
    """`cls` holding `page`'s rows turned into GraphQL nodes by `convert`."""
    nodes = [convert(row) for row in page.items]
    edges = [relay.Edge(cursor=c, node=n) for c, n in zip(page.cursors, nodes, strict=True)]
    info = relay.PageInfo(
        has_next_page=page.has_next,
        has_previous_page=page.has_previous,
        start_cursor=page.start_cursor,
        end_cursor=page.end_cursor,
    )
    return cls(page_info=info, edges=edges, nodes=nodes, counter=counter)
