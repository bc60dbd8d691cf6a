"""Automatic persisted queries (Apollo's APQ protocol), so front ends send hashes, not documents.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without a query; a known
hash runs the stored document, an unknown one answers `PersistedQueryNotFound` and the client
sends the query with its hash once. A hash that does not match its query is refused. Documents
are stored only after they ran without a parse or validation error, so the store holds real
operations: a bounded LRU in this process, and Redis (shared by every worker, with a TTL) when
TOWNSQUARE_REDIS_URL is set.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Any, Protocol

PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
BAD_REQUEST = "BAD_REQUEST"
NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
REDIS_PREFIX = "townsquare:apq:"
SUPPORTED_VERSION = 1


class PersistedQueryRefusal(Exception):
    """The persisted-query part of a request cannot be served; says how to answer."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class QueryStore(Protocol):
    async def get(self, sha256: str) -> str | None: ...

    async def put(self, sha256: str, query: str) -> None: ...


class MemoryQueryStore:
    """The last `size` documents by hash, in this process."""

    def __init__(self, size: int = 1000) -> None:
        self.size = size
        self.documents: OrderedDict[str, str] = OrderedDict()

    async def get(self, sha256: str) -> str | None:
        query = self.documents.get(sha256)
        if query is not None:
            self.documents.move_to_end(sha256)
        return query

    async def put(self, sha256: str, query: str) -> None:
        self.documents[sha256] = query
        self.documents.move_to_end(sha256)
        while len(self.documents) > self.size:
            self.documents.popitem(last=False)


class RedisQueryStore:
    """Documents in Redis, shared by every worker, in front of a local LRU that saves the trip."""

    def __init__(self, url: str, ttl_seconds: int = 7 * 24 * 3600, local_size: int = 1000):
        from redis.asyncio import Redis  # only deployments with Redis need it

        self.redis = Redis.from_url(url)
        self.ttl_seconds = ttl_seconds
        self.local = MemoryQueryStore(local_size)

    async def get(self, sha256: str) -> str | None:
        query = await self.local.get(sha256)
        if query is not None:
            return query
        stored = await self.redis.get(REDIS_PREFIX + sha256)
        if stored is None:
            return None
        query = stored.decode() if isinstance(stored, bytes) else str(stored)
        await self.local.put(sha256, query)
        return query

    async def put(self, sha256: str, query: str) -> None:
        await self.local.put(sha256, query)
        await self.redis.set(REDIS_PREFIX + sha256, query, ex=self.ttl_seconds)

    async def close(self) -> None:
        await self.redis.aclose()


def sha256_of(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    """The hash a request names, or None when it uses no persisted query; refuses bad shapes."""
    if not extensions or "persistedQuery" not in extensions:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict) or persisted.get("version") != SUPPORTED_VERSION:
        raise PersistedQueryRefusal(400, "Unsupported persisted query version", BAD_REQUEST)
    sha256 = persisted.get("sha256Hash")
    if not isinstance(sha256, str) or len(sha256) != 64:
        raise PersistedQueryRefusal(400, "persistedQuery.sha256Hash must be 64 hex", BAD_REQUEST)
    return sha256.lower()


async def resolve(store: QueryStore, query: str | None, sha256: str) -> tuple[str, bool]:
    """The document to run, and whether it is new (to be stored once it proves valid)."""
    if query is None:
        stored = await store.get(sha256)
        if stored is None:
            raise PersistedQueryRefusal(200, NOT_FOUND_MESSAGE, PERSISTED_QUERY_NOT_FOUND)
        return stored, False
    if sha256_of(query) != sha256:
        raise PersistedQueryRefusal(400, "provided sha does not match query", BAD_REQUEST)
    return query, True


def query_store(redis_url: str | None, size: int) -> QueryStore:
    return RedisQueryStore(redis_url, local_size=size) if redis_url else MemoryQueryStore(size)
