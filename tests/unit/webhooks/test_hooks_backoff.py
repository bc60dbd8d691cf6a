"""Retry delays: exponential, capped, jittered within [0.5, 1] of the step; a last attempt."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from domain.webhooks.backoff import RetryPolicy

POLICY = RetryPolicy(max_attempts=8, base_seconds=5.0, max_seconds=3600.0)


@given(attempts=st.integers(min_value=1, max_value=500), seed=st.integers())
def test_every_delay_lies_between_half_and_all_of_its_capped_step(attempts: int, seed: int) -> None:
    step = min(POLICY.max_seconds, POLICY.base_seconds * 2.0 ** min(attempts - 1, 62))
    delay = POLICY.delay(attempts, random.Random(seed))
    assert step * 0.5 <= delay <= step


class Highest(random.Random):
    """A random source that always picks the top of the range: the undisturbed steps."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_the_steps_double_until_the_cap() -> None:
    steps = [POLICY.delay(n, Highest()) for n in range(1, 12)]
    assert steps == [5.0, 10.0, 20.0, 40.0, 80.0, 160.0, 320.0, 640.0, 1280.0, 2560.0, 3600.0]


def test_jitter_spreads_deliveries_that_failed_together() -> None:
    rng = random.Random(42)
    delays = {round(POLICY.delay(3, rng), 6) for _ in range(50)}
    assert len(delays) > 40


def test_the_policy_gives_up_at_the_last_attempt() -> None:
    assert not POLICY.gives_up_after(7)
    assert POLICY.gives_up_after(8)
