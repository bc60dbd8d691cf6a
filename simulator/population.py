"""The synthetic population: member arrays (struct of arrays) and who joins when.

Rows are laid out as [initial organic members | market pool that may arrive later (Bass) |
bought followers]. Everything a strategy does not change (interests, activity, graph) is drawn
from streams the strategy never touches, so every strategy of a seed sees the same people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

from simulator.graph import follow_graph
from simulator.scenario import Scenario, Strategy
from simulator.streams import Streams

NEVER = np.iinfo(np.int32).max
"""Day used for 'not yet joined' and 'never left'."""

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]


@dataclass
class Members:
    """One row per potential member; mutable state lives beside the fixed traits."""

    interests: F32
    affinity: F32
    visit: F32
    creator: F32
    bought: npt.NDArray[np.bool_]
    join_day: I32
    left_day: I32
    trust: F32
    love: F32
    relevance: F32
    last_active: I32
    posts_made: I32
    followers: sparse.csr_array
    follower_counts: I32
    initial: int
    market: int

    @property
    def capacity(self) -> int:
        return int(self.affinity.size)


def _lognormal_share(median: float, sigma: float, size: int, rng: np.random.Generator) -> F32:
    return np.minimum(median * np.exp(sigma * rng.standard_normal(size)), 1.0).astype(np.float32)


def _interests(alpha: npt.NDArray[np.float64], size: int, rng: np.random.Generator) -> F32:
    # A Dirichlet draw as normalised gammas: NumPy's vectorised route for big populations.
    gammas = rng.standard_gamma(alpha, size=(size, alpha.size)).astype(np.float32)
    gammas += np.float32(1e-12)
    return gammas / gammas.sum(axis=1, keepdims=True)


def topic_alpha(scenario: Scenario) -> npt.NDArray[np.float64]:
    """Dirichlet concentration per topic: popularity share times the concentration."""
    popularity = np.array([t.popularity for t in scenario.topics], dtype=np.float64)
    total = scenario.population.interest_concentration * popularity.size
    return total * popularity / popularity.sum()


def _organic(scenario: Scenario, size: int, rng: np.random.Generator) -> dict[str, F32]:
    p = scenario.population
    visit = _lognormal_share(p.visit_median, p.visit_sigma, size, rng)
    return {
        "interests": _interests(topic_alpha(scenario), size, rng),
        "affinity": rng.beta(p.affinity_alpha, p.affinity_beta, size).astype(np.float32),
        "visit": visit,
        "creator": _lognormal_share(p.creator_median, p.creator_sigma, size, rng),
    }


def _bought(
    scenario: Scenario, strategy: Strategy, size: int, rng: np.random.Generator
) -> dict[str, F32]:
    # Bought followers: random interests, little affinity for the brand, rarely around.
    p = scenario.population
    flat = np.full(len(scenario.topics), p.interest_concentration, dtype=np.float64)
    return {
        "interests": _interests(flat, size, rng),
        "affinity": (strategy.paid_affinity * rng.beta(2.0, 2.0, size) * 2)
        .clip(0, 1)
        .astype(np.float32),
        "visit": _lognormal_share(p.visit_median / 2, p.visit_sigma, size, rng),
        "creator": np.zeros(size, dtype=np.float32),
    }


def _graph(
    scenario: Scenario, traits: dict[str, F32], rng: np.random.Generator
) -> sparse.csr_array:
    p = scenario.population
    n = traits["visit"].size
    mean_visit = float(traits["visit"].mean())
    activity = traits["visit"] / mean_visit if mean_visit > 0 else np.ones(n, dtype=np.float32)
    follows = 1 + rng.poisson((p.mean_follows - 1) * activity).astype(np.int64)
    attractiveness = rng.pareto(p.attractiveness_exponent - 1.0, n) + 1.0
    dominant = traits["interests"].argmax(axis=1)
    return follow_graph(follows, dominant, attractiveness, p.homophily, p.triad_probability, n, rng)


def _relationship(size: int, rng: np.random.Generator) -> dict[str, F32]:
    return {
        "trust": rng.beta(5.0, 5.0, size).astype(np.float32),
        "love": rng.beta(2.0, 5.0, size).astype(np.float32),
    }


@dataclass(frozen=True)
class Organic:
    """The people every strategy of a seed shares: organic members, market pool and graph.

    Built once per seed and reused by each strategy (the arrays are copied before a run
    changes them; the graph is only read).
    """

    traits: dict[str, F32]
    followers: sparse.csr_array
    initial: int
    market: int


def organic_population(scenario: Scenario, streams: Streams) -> Organic:
    """Organic members and the market pool with their follow graph, from the seed's streams."""
    initial = scenario.population.members
    market = round(initial * scenario.population.market_share)
    rng = streams["population"]
    traits = _organic(scenario, initial + market, rng)
    traits.update(_relationship(initial + market, rng))
    followers = _graph(scenario, traits, streams["graph"])
    return Organic(traits, followers, initial, market)


def _padded(graph: sparse.csr_array, capacity: int) -> sparse.csr_array:
    # Bought followers follow nobody and nobody follows them: empty rows and columns.
    if graph.shape[0] == capacity:
        return graph
    indptr = np.concatenate((graph.indptr, np.full(capacity - graph.shape[0], graph.indptr[-1])))
    return sparse.csr_array((graph.data, graph.indices, indptr), shape=(capacity, capacity))


def build_members(
    scenario: Scenario, strategy: Strategy, streams: Streams, organic: Organic | None = None
) -> Members:
    """The population of one run: organic members and market pool, then bought followers."""
    if organic is None:
        organic = organic_population(scenario, streams)
    initial, market = organic.initial, organic.market
    paid = round(initial * strategy.paid_followers)
    bought = _bought(scenario, strategy, paid, streams["paid"])
    bought.update(_relationship(paid, streams["paid"]))
    # concatenate copies, so a run never changes the shared organic arrays.
    traits = {key: np.concatenate((organic.traits[key], bought[key])) for key in organic.traits}
    capacity = initial + market + paid
    followers = _padded(organic.followers, capacity)
    join_day = np.full(capacity, NEVER, dtype=np.int32)
    join_day[:initial] = 0
    join_day[initial + market :] = 0
    return Members(
        interests=traits["interests"],
        affinity=traits["affinity"],
        visit=traits["visit"],
        creator=traits["creator"],
        bought=np.arange(capacity) >= initial + market,
        join_day=join_day,
        left_day=np.full(capacity, NEVER, dtype=np.int32),
        trust=traits["trust"],
        love=traits["love"],
        relevance=(traits["affinity"] * 0.5).astype(np.float32),
        last_active=np.full(capacity, -(10**6), dtype=np.int32),
        posts_made=np.zeros(capacity, dtype=np.int32),
        followers=followers,
        follower_counts=np.diff(followers.indptr).astype(np.int32),
        initial=initial,
        market=market,
    )
