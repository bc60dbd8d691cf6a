"""Named run sizes shared by tests, benchmarks and load tests, defined in this one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    """How big a simulated community is and how long it runs."""

    name: str
    members: int
    days: int


SIZES: dict[str, Size] = {
    "tiny": Size("tiny", members=500, days=60),
    "small": Size("small", members=2_000, days=90),
    "large": Size("large", members=100_000, days=365),
    "huge": Size("huge", members=1_000_000, days=365),
}
