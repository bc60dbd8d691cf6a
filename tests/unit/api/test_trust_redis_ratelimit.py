"""The Redis token bucket behaves as the in-process one, shared by every client of one Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator

import pytest

pytest.importorskip("redis.asyncio", reason="the Redis rate limiter needs the `redis` package")

from api.app import rate_limiter
from api.redis_ratelimit import RedisBuckets
from api.settings import TrustSettings

REDIS_URL = os.environ.get("TOWNSQUARE_TEST_REDIS_URL", "")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(
        not REDIS_URL,
        reason="Redis tests need TOWNSQUARE_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)",
    ),
]


@pytest.fixture
async def buckets() -> AsyncIterator[RedisBuckets]:
    # A fresh prefix per test: runs never see each other's buckets.
    limiter = RedisBuckets(REDIS_URL, 100, 0.001, prefix=f"test:{uuid.uuid4().hex}:")
    yield limiter
    stale = [key async for key in limiter.redis.scan_iter(limiter.prefix + "*")]
    if stale:
        await limiter.redis.delete(*stale)
    await limiter.close()


async def test_points_are_taken_until_the_bucket_is_dry_then_refused(
    buckets: RedisBuckets,
) -> None:
    first = await buckets.take("k", 60)
    assert first.allowed
    assert 39.9 < first.remaining <= 40.1
    refused = await buckets.take("k", 50)
    assert not refused.allowed
    assert 39.9 < refused.remaining <= 40.1
    assert refused.retry_after_seconds > 1


async def test_unused_points_come_back_but_never_above_the_size(buckets: RedisBuckets) -> None:
    await buckets.take("k", 50)
    assert 69.9 < (await buckets.give_back("k", 20)).remaining <= 70.1
    assert (await buckets.give_back("k", 500)).remaining == 100


async def test_two_clients_share_one_bucket(buckets: RedisBuckets) -> None:
    other = RedisBuckets(REDIS_URL, 100, 0.001, prefix=buckets.prefix)
    try:
        await buckets.take("k", 100)
        assert not (await other.take("k", 1)).allowed
        assert (await other.take("other key", 1)).allowed
    finally:
        await other.close()


async def test_the_app_uses_redis_when_a_url_is_configured() -> None:
    limiter = rate_limiter(TrustSettings(redis_url=REDIS_URL))
    assert isinstance(limiter, RedisBuckets)
    await limiter.close()
