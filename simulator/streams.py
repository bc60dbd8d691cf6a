"""Named random streams for one run, spawned from one seed for common random numbers.

Each mechanism draws from its own child generator, so that two strategies run on the same seed
share the population, the graph and every draw of a mechanism the strategy does not change.
That is what makes paired strategy comparisons tight (common random numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

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


DENSE = 0.2
"""Above this probability a uniform per row is cheaper than drawing the gaps between hits."""


@dataclass(frozen=True)
class Streams:
    """One numpy Generator per mechanism, all descending from one SeedSequence."""

    generators: dict[str, np.random.Generator]
    sequences: dict[str, np.random.SeedSequence]

    def __getitem__(self, name: str) -> np.random.Generator:
        return self.generators[name]

    def daily(self, name: str, day: int, part: int = 0) -> np.random.Generator:
        """A generator of its own for one mechanism's per-member draws of one day.

        Day d's draws do not depend on how many numbers earlier days took, so two strategies
        whose populations differ in size (bought followers) still give each organic row the
        same draws every day: common random numbers that hold for the whole run.
        """
        parent = self.sequences[name]
        sequence = np.random.SeedSequence(
            parent.entropy, spawn_key=(*parent.spawn_key, day, part), pool_size=parent.pool_size
        )
        return np.random.Generator(np.random.PCG64(sequence))


def bernoulli_rows(
    streams: Streams, name: str, day: int, size: int, p: float
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Rows of range(size) whose uniform of the day falls below p, ascending, and those uniforms.

    The uniforms of the rows found are uniform on [0, p), so a caller with a per-row
    probability at most p keeps a row when its uniform is below that row's probability. For a
    small p the rows come from geometric gaps between hits, costing the hits, not the rows.
    """
    rng = streams.daily(name, day)
    if p <= 0.0 or size == 0:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    if p >= DENSE or p < 1e-9:  # (gaps of 1/p would overflow)
        u = rng.random(size, dtype=np.float32)
        rows = np.flatnonzero(u < np.float32(p))
        return rows, u[rows]
    expected = size * p
    chunk = int(expected + 4 * expected**0.5 + 16)
    found = [np.cumsum(rng.geometric(p, chunk)) - 1]
    while found[-1][-1] < size:
        found.append(found[-1][-1] + np.cumsum(rng.geometric(p, chunk)))
    rows = np.concatenate(found)
    rows = rows[: np.searchsorted(rows, size)]
    # A second generator of the day: the k-th hit gets the k-th number whatever the size.
    scaled = streams.daily(name, day, part=1).random(rows.size) * p
    return rows.astype(np.int64), scaled.astype(np.float32)


def make_streams(seed: int | np.random.SeedSequence) -> Streams:
    """Spawn the run's generators; the same seed always gives the same streams."""
    if isinstance(seed, np.random.SeedSequence):
        # A fresh copy: spawn() advances a sequence, and each strategy needs the same children.
        sequence = np.random.SeedSequence(
            seed.entropy, spawn_key=seed.spawn_key, pool_size=seed.pool_size
        )
    else:
        sequence = np.random.SeedSequence(seed)
    children = dict(zip(STREAM_NAMES, sequence.spawn(len(STREAM_NAMES)), strict=True))
    return Streams(
        {name: np.random.default_rng(child) for name, child in children.items()}, children
    )
