"""When a failed delivery is tried again: exponential backoff with jitter, and a last attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt n waits `base * 2**(n-1)` seconds, capped, times a random factor in [0.5, 1].

    The jitter spreads the retries of many deliveries that failed together (a receiver that
    was down) so they do not all return in the same second.
    """

    max_attempts: int = 8
    base_seconds: float = 5.0
    max_seconds: float = 3600.0

    def delay(self, attempts: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        exponent = min(max(attempts - 1, 0), 62)
        ceiling = min(self.max_seconds, self.base_seconds * 2.0**exponent)
        factor = (rng or random).uniform(0.5, 1.0)
        return ceiling * factor

    def gives_up_after(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
