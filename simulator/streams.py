"""Named random streams for one run, spawned from one seed for common random numbers.

Each mechanism draws from its own child generator, so that two strategies run on the same seed
share the population, the graph and every draw of a mechanism the strategy does not change.
That is what makes paired strategy comparisons tight (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAM_NAMES = (
    "population",
    "graph",
    "paid",
    "arrivals",
    "visits",
    "content",
    "feed",
    "cascade",
    "complaints",
    "churn",
    "conversions",
    "sentiment",
    "influencers",
)


@dataclass(frozen=True)
class Streams:
    """One numpy Generator per mechanism, all descending from one SeedSequence."""

    generators: dict[str, np.random.Generator]

    def __getitem__(self, name: str) -> np.random.Generator:
        return self.generators[name]


def make_streams(seed: int | np.random.SeedSequence) -> Streams:
    """Spawn the run's generators; the same seed always gives the same streams."""
    if isinstance(seed, np.random.SeedSequence):
        # A fresh copy: spawn() advances a sequence, and each strategy needs the same children.
        sequence = np.random.SeedSequence(
            seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size
        )
    else:
        sequence = np.random.SeedSequence(seed)
    children = sequence.spawn(len(STREAM_NAMES))
    return Streams(
        {
            name: np.random.default_rng(child)
            for name, child in zip(STREAM_NAMES, children, strict=True)
        }
    )
