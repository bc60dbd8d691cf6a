"""The engine: build a population, step it day by day under one strategy, return the KPIs.

``run(scenario, strategy, seed)`` is the one entry point. Each day: arrivals, visits,
publishing, feeds and cascades, complaints and answers, word of mouth, love decay, churn,
costs, then the day's KPIs. All randomness comes from streams spawned from ``seed``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from simulator import complaints, content, feed, lifecycle
from simulator.kpi import DAILY_KPIS, daily_row, summarize
from simulator.population import NEVER, Members, Organic, build_members, topic_alpha
from simulator.record import DayTally, EventLog
from simulator.result import FinalPopulation, RunResult
from simulator.scenario import Scenario, Strategy
from simulator.state import RunState
from simulator.streams import make_streams

_TOTALS = (
    "brand_posts",
    "brand_engagements",
    "answered",
    "complaints",
    "escalations",
    "escalations_within",
)


def _influencers(members: Members, count: int) -> npt.NDArray[np.int64]:
    if count == 0:
        return np.empty(0, dtype=np.int64)
    counts = members.follower_counts[: members.initial]
    return np.argsort(counts)[::-1][:count].astype(np.int64)


def _seed_number(seed: int | np.random.SeedSequence) -> int:
    """The seed as one number for reports (a SeedSequence's entropy may be a sequence)."""
    if isinstance(seed, int):
        return seed
    entropy = seed.entropy
    if entropy is None:
        return 0
    return int(entropy) if isinstance(entropy, int) else int(entropy[0])


def _new_state(
    scenario: Scenario,
    strategy: Strategy,
    seed: int | np.random.SeedSequence,
    record: bool,
    organic: Organic | None = None,
) -> RunState:
    streams = make_streams(seed)
    members = build_members(scenario, strategy, streams, organic)
    alpha = topic_alpha(scenario)
    return RunState(
        scenario=scenario,
        strategy=strategy,
        streams=streams,
        members=members,
        advantage=np.array([t.advantage for t in scenario.topics], dtype=np.float32),
        alpha_mean=alpha / alpha.sum(),
        log=EventLog(record),
        influencers=_influencers(members, strategy.influencers),
    )


def step(state: RunState) -> DayTally:
    """Advance one day and return its tally."""
    state.tally = DayTally(state.n_topics)
    lifecycle.enforce_budget(state)
    state.skill = lifecycle.manager_skill(state)
    lifecycle.arrivals(state)
    lifecycle.roll_alive(state)
    visiting = lifecycle.visitors(state)
    content.publish(state, visiting)
    state.engaged = []
    feed.run_feeds(state, visiting)
    engaged = np.sort(np.concatenate(state.engaged)) if state.engaged else state.alive[:0]
    complaints.complaints(state)
    complaints.advocacy(state, engaged)
    lifecycle.decay_love(state)
    lifecycle.churn(state)
    state.tally.cost += lifecycle.daily_cost(state)
    state.spent += state.tally.cost
    lifecycle.end_of_day(state)
    return state.tally


def _exhausted(state: RunState) -> float:
    # NaN, like payback_day, when it never happened: the mean over seeds skips it.
    day = state.budget_exhausted_day
    return float("nan") if day is None else float(day)


def _final_population(state: RunState) -> FinalPopulation:
    m = state.members
    graph = m.followers.tocoo()
    joined = m.join_day != NEVER
    return FinalPopulation(
        topics=[t.name for t in state.scenario.topics],
        interests=m.interests, affinity=m.affinity, activity=m.visit, creator=m.creator,
        bought=m.bought, joined=joined, churned=m.left_day != NEVER,
        join_day=np.where(joined, m.join_day, -1).astype(np.int32),
        left_day=np.where(m.left_day != NEVER, m.left_day, -1).astype(np.int32),
        trust=m.trust, love=m.love, followers=m.follower_counts,
        influencer=np.isin(np.arange(m.capacity), state.influencers),
        follow_edges=np.stack((graph.col, graph.row), axis=1).astype(np.int32),
    )  # fmt: skip


def run(
    scenario: Scenario,
    strategy: str | Strategy,
    seed: int | np.random.SeedSequence = 0,
    *,
    record_events: bool = False,
    keep_population: bool = False,
    on_day: Callable[[int], None] | None = None,
    organic: Organic | None = None,
) -> RunResult:
    """Simulate one strategy of a scenario over its horizon with one seed.

    record_events adds per-post/engagement/mention/conversion records (memory grows with
    activity: use for seeding and tests, not for sweeps); keep_population adds the final member
    arrays and follow edges. on_day(day) is called after each day, for progress. organic is
    the seed's population when the caller already built it (organic_population with the same
    scenario and seed), to share it between strategies.
    """
    chosen = scenario.strategy(strategy) if isinstance(strategy, str) else strategy
    state = _new_state(scenario, chosen, seed, record_events, organic)
    rows: list[list[float]] = []
    totals = dict.fromkeys(_TOTALS, 0.0)
    topic_volume = np.zeros(state.n_topics)
    seconds: list[npt.NDArray[np.float64]] = []
    for day in range(scenario.days):
        state.day = day
        tally = step(state)
        row = daily_row(tally, state.advantage)
        rows.append([float(row[k]) for k in DAILY_KPIS])
        for key in _TOTALS[2:]:
            totals[key] += getattr(tally, key)
        topic_volume += tally.topic_volume
        seconds.extend(tally.response_seconds)
        if on_day is not None:
            on_day(day)
    totals["brand_posts"] = state.brand_post_count
    totals["brand_engagements"] = state.brand_post_engagements
    table = np.array(rows, dtype=np.float64).reshape(scenario.days, len(DAILY_KPIS))
    daily = {name: table[:, i] for i, name in enumerate(DAILY_KPIS)}
    response = np.concatenate(seconds) if seconds else np.empty(0)
    state.retired_reach.append(state.pool.reach)
    m = state.members
    return RunResult(
        scenario=scenario.name,
        strategy=chosen.name,
        seed=_seed_number(seed),
        days=scenario.days,
        members=scenario.population.members,
        daily=daily,
        summary={
            **summarize(daily, totals, state.advantage, topic_volume, response),
            "budget_exhausted_day": _exhausted(state),
        },
        cascade_sizes=np.concatenate(state.retired_reach).astype(np.int64),
        posts_per_member=m.posts_made[m.join_day != NEVER],
        probability_range=(state.prob_low, state.prob_high),
        population=_final_population(state) if keep_population else None,
        events=state.log.events(),
    )
