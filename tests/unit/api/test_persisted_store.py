"""The persisted-query stores: a bounded LRU in memory, and Redis shared by every worker."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.persisted import (
    MemoryQueryStore,
    PersistedQueryRefusal,
    RedisQueryStore,
    persisted_hash,
    resolve,
    sha256_of,
)

REDIS_URL = os.environ.get("TOWNSQUARE_TEST_REDIS_URL", "")


@given(st.lists(st.text(min_size=1, max_size=20), max_size=60), st.integers(1, 10))
async def test_the_memory_store_never_holds_more_than_its_size_and_keeps_the_latest(
    queries: list[str], size: int
) -> None:
    store = MemoryQueryStore(size)
    for query in queries:
        await store.put(sha256_of(query), query)
    assert len(store.documents) <= size
    if queries:
        assert await store.get(sha256_of(queries[-1])) == queries[-1]


async def test_reading_a_document_keeps_it_from_being_evicted_first() -> None:
    store = MemoryQueryStore(2)
    await store.put("a", "A")
    await store.put("b", "B")
    assert await store.get("a") == "A"
    await store.put("c", "C")
    assert await store.get("b") is None
    assert await store.get("a") == "A"


async def test_resolving_refuses_an_unknown_hash_and_a_mismatched_query() -> None:
    store = MemoryQueryStore()
    with pytest.raises(PersistedQueryRefusal) as unknown:
        await resolve(store, None, sha256_of("{ a }"))
    assert unknown.value.code == "PERSISTED_QUERY_NOT_FOUND"
    with pytest.raises(PersistedQueryRefusal) as mismatch:
        await resolve(store, "{ a }", sha256_of("{ b }"))
    assert mismatch.value.status == 400
    assert await resolve(store, "{ a }", sha256_of("{ a }")) == ("{ a }", True)


def test_a_request_without_persisted_query_names_no_hash() -> None:
    assert persisted_hash(None) is None
    assert persisted_hash({"other": 1}) is None
    sha = "A" * 64
    assert persisted_hash({"persistedQuery": {"version": 1, "sha256Hash": sha}}) == "a" * 64


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="Redis tests need TOWNSQUARE_TEST_REDIS_URL")
async def test_a_document_stored_by_one_worker_is_found_by_another_through_redis() -> None:
    query = f"query Shared{uuid.uuid4().hex} {{ viewer {{ role }} }}"
    first, second = RedisQueryStore(REDIS_URL), RedisQueryStore(REDIS_URL)
    try:
        assert await second.get(sha256_of(query)) is None
        await first.put(sha256_of(query), query)
        assert await second.get(sha256_of(query)) == query
        assert sha256_of(query) in second.local.documents
    finally:
        await first.redis.delete("townsquare:apq:" + sha256_of(query))
        await first.close()
        await second.close()
