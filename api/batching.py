"""DataLoader factories shared by every area: rows by id, pages and counts by parent.

All loaders of one request share one database session, and an AsyncSession runs one statement
at a time, so every batch takes the request's lock before it reaches the database (`alone`).
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


class RequestLock(asyncio.Lock):
    """The lock of one request's session; `close` ends the session's use by the request.

    A DataLoader batch runs in a task of its own, which outlives the field that asked for it
    when that field is cancelled: closed, the lock lets such a late batch run nothing, and
    closing waits for the statement in flight, so the session closes idle.
    """

    closed = False

    def __init__(self) -> None:
        super().__init__()
        # The request's own task: when it is cancelled (its time limit), calls are cut too.
        self.request = asyncio.current_task()

    def cut_off(self) -> bool:
        return self.request is not None and self.request.cancelling() > 0

    async def close(self) -> None:
        self.closed = True
        async with self:
            pass


async def alone(lock: asyncio.Lock, call: Callable[..., Awaitable[T]], *args: Any) -> T:
    """`call(*args)` on the request's session, holding the request's lock, and always to its end.

    When a field fails where null is not allowed, graphql-core cancels its sibling fields. A
    statement cancelled half-way makes SQLAlchemy close the request's connection, and the
    session's closing rollback then raised after the answer had gone out (an error in the
    server's log, a 500 under a test client; the fuzz tests found it). So a call that has begun
    is shielded: the cancellation waits for it to finish, then goes on. Only the request's own
    cancellation (its time limit, api/deadline.py) cuts the statement short.
    """
    async with lock:
        if isinstance(lock, RequestLock) and lock.closed:
            raise asyncio.CancelledError  # the answer has gone: nobody waits for this call
        running = asyncio.ensure_future(call(*args))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            if isinstance(lock, RequestLock) and lock.cut_off():
                running.cancel()  # the request's time limit cuts the statement itself
            await asyncio.wait({running})
            if not running.cancelled():
                running.exception()  # the field is cancelled anyway; its outcome is moot
            raise


def by_id(lock: asyncio.Lock, fetch: FetchMany[T]) -> DataLoader[int, T | None]:
    """Rows by id, None for ids the organization does not have."""

    async def load(ids: list[int]) -> list[T | None]:
        found = await alone(lock, fetch, ids)
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
            pages = await alone(lock, fetch, parent, ids, where, request)
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
            counts = await alone(lock, fetch, parent, ids, where)
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
