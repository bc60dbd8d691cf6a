"""Token buckets in Redis, shared by every worker: one Lua script refills, takes and gives back.

The script runs atomically in Redis and reads Redis's own clock, so workers on machines whose
clocks disagree still share one honest bucket per key.
"""

from __future__ import annotations

import math
from typing import Any

from redis.asyncio import Redis

from api.ratelimit import Decision

# KEYS[1]: the bucket; ARGV: size, restore rate per second, points to take (negative: give back).
# Returns {1 if taken else 0, points left as a string (Lua numbers would be cut to integers)}.
SCRIPT = """
local size = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'points', 'at')
local points = tonumber(state[1]) or size
local at = tonumber(state[2]) or now
points = math.min(size, points + math.max(0, now - at) * rate)
local taken = 0
if cost <= points then
  points = math.min(size, points - cost)
  taken = 1
end
redis.call('HSET', KEYS[1], 'points', tostring(points), 'at', tostring(now))
-- A bucket left alone refills completely by then; dropping it is the same as keeping it full.
redis.call('EXPIRE', KEYS[1], math.ceil(size / rate) + 60)
return {taken, tostring(points)}
"""
PREFIX = "townsquare:bucket:"


class RedisBuckets:
    """The `RateLimiter` of deployments with TOWNSQUARE_REDIS_URL set."""

    def __init__(self, url: str, size: int, restore_rate: float, prefix: str = PREFIX) -> None:
        self.redis: Redis = Redis.from_url(url)
        self.size = size
        self.restore_rate = restore_rate
        self.prefix = prefix
        self.script: Any = self.redis.register_script(SCRIPT)

    async def _run(self, key: str, points: int) -> Decision:
        taken, left = await self.script(
            keys=[self.prefix + key], args=[self.size, self.restore_rate, points]
        )
        remaining = float(left)
        allowed = bool(taken)
        missing = 0.0 if allowed else points - remaining
        wait = missing / self.restore_rate if self.restore_rate > 0 else math.inf
        return Decision(allowed, self.size, remaining, self.restore_rate, wait)

    async def take(self, key: str, cost: int) -> Decision:
        return await self._run(key, cost)

    async def give_back(self, key: str, points: int) -> Decision:
        return await self._run(key, -max(points, 0))

    async def close(self) -> None:
        await self.redis.aclose()
