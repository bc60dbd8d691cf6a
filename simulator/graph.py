"""The follow graph: power-law in-degrees, Holme-Kim triad formation and interest homophily.

Built edge-list-at-once so a million members take seconds: every member draws how many
accounts it follows; a share of those follows go to accounts chosen by attractiveness (a
Pareto fitness, which yields power-law follower counts), restricted with probability
``homophily`` to accounts sharing the member's dominant topic; the remaining follows close
triads (follow a followee of a followee, Holme & Kim 2002), which gives clustering.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import sparse

IntArray = npt.NDArray[np.int64]


def _attachment_targets(
    sources: IntArray,
    dominant: npt.NDArray[np.intp],
    attractiveness: npt.NDArray[np.float64],
    homophily: float,
    rng: np.random.Generator,
) -> IntArray:
    """Pick one target per source by attractiveness, within the source's topic when homophilous."""
    order = np.argsort(dominant, kind="stable")
    cumulative = np.cumsum(attractiveness[order])
    n_topics = int(dominant.max()) + 1
    ends = np.searchsorted(dominant[order], np.arange(n_topics), side="right")
    upper = np.concatenate(([0.0], cumulative))[ends]
    lower = np.concatenate(([0.0], upper[:-1]))
    topic = dominant[sources]
    same_topic = rng.random(sources.size) < homophily
    u = rng.random(sources.size)
    point = np.where(
        same_topic, lower[topic] + u * (upper[topic] - lower[topic]), u * cumulative[-1]
    )
    # Searching sorted points walks the table in order: several times faster than random access.
    by_point = np.argsort(point)
    position = np.empty(point.size, dtype=np.int64)
    position[by_point] = np.searchsorted(cumulative, point[by_point], side="right")
    return order[np.minimum(position, order.size - 1)].astype(np.int64)


def _pick_in_rows(
    indptr: IntArray, indices: IntArray, rows: IntArray, rng: np.random.Generator
) -> IntArray:
    """One uniformly random entry of each given CSR row (every row must be non-empty)."""
    counts = indptr[rows + 1] - indptr[rows]
    offsets = (rng.random(rows.size) * counts).astype(np.int64)
    return indices[indptr[rows] + offsets]


def follow_graph(
    follows: npt.NDArray[np.int64],
    dominant: npt.NDArray[np.intp],
    attractiveness: npt.NDArray[np.float64],
    homophily: float,
    triad_probability: float,
    capacity: int,
    rng: np.random.Generator,
) -> sparse.csr_array:
    """The followers graph: row j lists the members who follow j (who see what j shares).

    follows[i] is how many accounts organic member i follows (>= 1); members beyond
    follows.size (bought followers) have no edges.
    """
    n = follows.size
    triads = rng.binomial(follows - 1, triad_probability)
    attach = follows - triads
    sources = np.repeat(np.arange(n, dtype=np.int64), attach)
    targets = _attachment_targets(sources, dominant, attractiveness, homophily, rng)
    indptr = np.concatenate(([0], np.cumsum(attach))).astype(np.int64)
    triad_sources = np.repeat(np.arange(n, dtype=np.int64), triads)
    via = _pick_in_rows(indptr, targets, triad_sources, rng)
    closing = _pick_in_rows(indptr, targets, via, rng)
    source = np.concatenate((sources, triad_sources))
    target = np.concatenate((targets, closing))
    keep = source != target
    key = np.sort(target[keep] * n + source[keep])
    # np.unique's hash path is an order of magnitude slower than a sort and a neighbour test.
    key = key[np.concatenate(([True], key[1:] != key[:-1]))]
    rows, cols = np.divmod(key, n)
    row_ptr = np.zeros(capacity + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=capacity), out=row_ptr[1:])
    data = np.ones(cols.size, dtype=np.bool_)
    return sparse.csr_array((data, cols.astype(np.int32), row_ptr), shape=(capacity, capacity))
