"""DataLoader factories shared by every area: rows by id, pages and counts by parent.

All loaders of one request share one database session, and an AsyncSession runs one statement
at a time, so every batch takes the request's lock before it reaches the database.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from domain.pagination import Page, PageRequest

T = TypeVar("T")
F = TypeVar("F", bound=Hashable)

# (parent column, parent id, filter, page request): one page of one parent's children.
PageKey = tuple[str, int, Any, PageRequest]
# (parent column, parent id, filter): how many children one parent has.
CountKey = tuple[str, int, Any]

FetchMany = Callable[[Sequence[int]], Awaitable[dict[int, T]]]
FetchPages = Callable[[str, Sequence[int], Any, PageRequest], Awaitable[dict[int, Page[Any]]]]
FetchCounts = Callable[[str, Sequence[int], Any], Awaitable[dict[int, int]]]


def by_id(lock: asyncio.Lock, fetch: FetchMany[T]) -> DataLoader[int, T | None]:
    """Rows by id, None for ids the organization does not have."""

    async def load(ids: list[int]) -> list[T | None]:
        async with lock:
            found = await fetch(ids)
        return [found.get(i) for i in ids]

    return DataLoader(load_fn=load)


def pages_by_parent(lock: asyncio.Lock, fetch: FetchPages) -> DataLoader[PageKey, Page[Any]]:
    """One page per parent; parents asking the same filter and page share one query."""

    async def load(keys: list[PageKey]) -> list[Page[Any]]:
        groups: dict[tuple[str, Any, PageRequest], list[int]] = defaultdict(list)
        for parent, parent_id, where, request in keys:
            groups[(parent, where, request)].append(parent_id)
        found: dict[PageKey, Page[Any]] = {}
        for (parent, where, request), ids in groups.items():
            async with lock:
                pages = await fetch(parent, ids, where, request)
            for parent_id in ids:
                found[(parent, parent_id, where, request)] = pages[parent_id]
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def counts_by_parent(lock: asyncio.Lock, fetch: FetchCounts) -> DataLoader[CountKey, int]:
    """How many children each parent has; parents asking the same filter share one query."""

    async def load(keys: list[CountKey]) -> list[int]:
        groups: dict[tuple[str, Any], list[int]] = defaultdict(list)
        for parent, parent_id, where in keys:
            groups[(parent, where)].append(parent_id)
        found: dict[CountKey, int] = {}
        for (parent, where), ids in groups.items():
            async with lock:
                counts = await fetch(parent, ids, where)
            for parent_id in ids:
                found[(parent, parent_id, where)] = counts.get(parent_id, 0)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


def cached(loader: DataLoader[Any, T], key: Any) -> tuple[bool, T | None]:
    """(True, value) when `loader` already holds `key`'s value, else (False, None).

    A field whose row was batched earlier in the request can then answer synchronously:
    no awaitable for graphql-core to gather, no task for the event loop to run.
    """
    future = loader.cache_map.get(key) if loader.cache else None
    if future is None or not future.done() or future.cancelled() or future.exception():
        return False, None
    return True, future.result()
