"""Reproducibility: one scenario and seed give the same numbers; other seeds give others."""

import numpy as np

from simulator import SIZES, builtin_scenario, run
from simulator.experiment import run_seed

SMALL = SIZES["small"]


def _scenario():
    return builtin_scenario("crisis-response").resized(members=SMALL.members, days=SMALL.days)


def test_the_same_scenario_and_seed_give_identical_results():
    first = run(_scenario(), "slow", 7, record_events=True)
    second = run(_scenario(), "slow", 7, record_events=True)
    for name, series in first.daily.items():
        np.testing.assert_array_equal(series, second.daily[name], err_msg=name)
    assert first.summary == second.summary or all(
        a == b or (np.isnan(a) and np.isnan(b))
        for a, b in zip(first.summary.values(), second.summary.values(), strict=True)
    )
    np.testing.assert_array_equal(first.events.engagement_post, second.events.engagement_post)


def test_different_seeds_give_different_results():
    first = run(_scenario(), "slow", 1)
    second = run(_scenario(), "slow", 2)
    assert not np.array_equal(first.daily["likes"], second.daily["likes"])
    assert first.summary["audience"] != second.summary["audience"]


def test_strategies_of_one_seed_share_their_population_and_graph():
    a = run(_scenario(), "slow", 3, keep_population=True)
    b = run(_scenario(), "silent", 3, keep_population=True)
    np.testing.assert_array_equal(a.population.affinity, b.population.affinity)
    np.testing.assert_array_equal(a.population.activity, b.population.activity)
    np.testing.assert_array_equal(a.population.follow_edges, b.population.follow_edges)


def test_strategies_sharing_one_built_population_get_the_numbers_of_their_own_runs():
    scenario = builtin_scenario("quality-vs-quantity").resized(members=400, days=20)
    seed = np.random.SeedSequence(5)
    shared = run_seed(scenario, ["quality", "quantity"], seed)
    for result in shared:
        alone = run(scenario, result.strategy, seed)
        for name, series in alone.daily.items():
            np.testing.assert_array_equal(series, result.daily[name], err_msg=name)
