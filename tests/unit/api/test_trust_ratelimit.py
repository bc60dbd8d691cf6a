"""The in-process token bucket: points taken before a query, refilled over time, given back."""

from __future__ import annotations

from api.ratelimit import MemoryBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_full_bucket_serves_up_to_its_size_then_refuses_without_taking() -> None:
    buckets = MemoryBuckets(100, 10.0, Clock())
    assert (await buckets.take("k", 60)).remaining == 40
    refused = await buckets.take("k", 50)
    assert not refused.allowed
    assert refused.remaining == 40
    assert refused.retry_after == 1.0  # 10 points missing at 10 per second
    assert refused.retry_after_seconds == 1


async def test_the_bucket_refills_at_the_restore_rate_up_to_its_size() -> None:
    clock = Clock()
    buckets = MemoryBuckets(100, 10.0, clock)
    await buckets.take("k", 100)
    clock.now = 3.0
    assert (await buckets.take("k", 30)).allowed
    clock.now = 1000.0
    assert (await buckets.take("k", 0)).remaining == 100


async def test_unused_points_come_back_but_never_above_the_size() -> None:
    buckets = MemoryBuckets(100, 10.0, Clock())
    await buckets.take("k", 50)
    assert (await buckets.give_back("k", 20)).remaining == 70
    assert (await buckets.give_back("k", 500)).remaining == 100


async def test_each_key_has_its_own_bucket() -> None:
    buckets = MemoryBuckets(10, 1.0, Clock())
    await buckets.take("a", 10)
    assert (await buckets.take("b", 10)).allowed
    assert not (await buckets.take("a", 1)).allowed


async def test_retry_after_is_a_whole_second_at_least() -> None:
    buckets = MemoryBuckets(10, 1000.0, Clock())
    await buckets.take("k", 10)
    assert (await buckets.take("k", 1)).retry_after_seconds == 1
