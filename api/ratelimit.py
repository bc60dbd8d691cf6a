"""Rate limits: a token bucket per API key, counted in query-cost points.

A request takes its requested cost from the bucket before it runs and gets back what it did not
use once the actual cost is known, as Shopify's GraphQL API does. `RateLimiter` is the interface;
`MemoryBuckets` keeps buckets in this process (one worker), a Redis implementation can share them.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Decision:
    """What a bucket answered: whether the points were taken, and how full it is now."""

    allowed: bool
    limit: int
    remaining: float
    restore_rate: float
    retry_after: float = 0.0

    @property
    def retry_after_seconds(self) -> int:
        # HTTP's Retry-After counts whole seconds; rounding down would invite an early retry.
        return max(1, math.ceil(self.retry_after))


class RateLimiter(Protocol):
    async def take(self, key: str, cost: int) -> Decision:
        """Take `cost` points from `key`'s bucket if it holds that many; take nothing if not."""
        ...

    async def give_back(self, key: str, points: int) -> Decision:
        """Return unused points (never above the bucket's size)."""
        ...


class MemoryBuckets:
    """Token buckets in this process's memory."""

    def __init__(
        self, size: int, restore_rate: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.size = size
        self.restore_rate = restore_rate
        self.clock = clock
        # key -> (points, when they were counted); keys are API keys, so this stays small.
        self.buckets: dict[str, tuple[float, float]] = {}

    def _refilled(self, key: str) -> float:
        now = self.clock()
        points, then = self.buckets.get(key, (float(self.size), now))
        points = min(float(self.size), points + (now - then) * self.restore_rate)
        self.buckets[key] = (points, now)
        return points

    def _decision(self, allowed: bool, points: float, wanted: int = 0) -> Decision:
        missing = max(0.0, wanted - points) if not allowed else 0.0
        wait = missing / self.restore_rate if self.restore_rate > 0 else math.inf
        return Decision(allowed, self.size, points, self.restore_rate, wait)

    async def take(self, key: str, cost: int) -> Decision:
        points = self._refilled(key)
        if cost > points:
            return self._decision(False, points, cost)
        points -= cost
        self.buckets[key] = (points, self.buckets[key][1])
        return self._decision(True, points)

    async def give_back(self, key: str, points: int) -> Decision:
        current = min(float(self.size), self._refilled(key) + max(points, 0))
        self.buckets[key] = (current, self.buckets[key][1])
        return self._decision(True, current)
