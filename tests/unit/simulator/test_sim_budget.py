"""A strategy's budget: ads and influencers stop for good once it cannot pay another day."""

import numpy as np
import pytest

from simulator import SIZES, Scenario
from simulator.engine import run
from simulator.result import RunResult
from simulator.scenario import Prices, ScenarioError, Strategy, parse_scenario

SMALL = SIZES["small"]
ADS = 400.0
INFLUENCERS = 4


def _scenario(*strategies: Strategy) -> Scenario:
    sc = Scenario(name="budget", strategies=list(strategies), days=SMALL.days)
    return sc.resized(members=SMALL.members)


def _paid(name: str, budget: float | None) -> Strategy:
    return Strategy(name=name, ad_spend_per_day=ADS, influencers=INFLUENCERS, budget=budget)


def _committed(result: RunResult) -> np.ndarray:
    # The manager and the posts (no escalations in these runs: no lever and no incident).
    strategy, prices = Strategy(name="x"), Prices()
    per_post = prices.post + prices.quality_premium * strategy.quality**2
    return prices.in_house_monthly / 30.0 + result.daily["brand_posts"] * per_post


def test_a_spent_budget_stops_the_ads_and_influencers_and_the_run_says_when() -> None:
    budget = 12_000.0
    scenario = _scenario(_paid("capped", budget), _paid("open", None))
    capped, open_ = run(scenario, "capped", seed=3), run(scenario, "open", seed=3)
    day = capped.summary["budget_exhausted_day"]
    assert 0 < day < SMALL.days
    assert np.isnan(open_.summary["budget_exhausted_day"])
    cost = capped.daily["cost"]
    # They stop on the first day that another day of them would pass the budget; the day
    # before, one more still fitted. From then on the capped run saves their cost every day.
    paid_per_day = ADS + INFLUENCERS * 500.0 / 30.0
    assert cost[: int(day)].sum() + paid_per_day > budget
    assert cost[: int(day) - 1].sum() + paid_per_day <= budget
    committed = _committed(capped)
    assert np.allclose(cost[: int(day)], committed[: int(day)] + paid_per_day)
    assert np.allclose(cost[int(day) :], committed[int(day) :])


def test_a_budget_that_never_runs_out_changes_nothing() -> None:
    scenario = _scenario(_paid("rich", 10_000_000.0), _paid("open", None))
    rich, open_ = run(scenario, "rich", seed=5), run(scenario, "open", seed=5)
    assert np.isnan(rich.summary["budget_exhausted_day"])
    for kpi in ("audience", "cost", "conversions"):
        assert rich.summary[kpi] == open_.summary[kpi]


def test_a_budget_that_cannot_pay_for_the_bought_followers_is_refused_by_name() -> None:
    data = {
        "name": "broke",
        "population": {"members": 10_000},
        "strategies": [{"name": "buyer", "paid_followers": 1.0, "budget": 1_000}],
    }
    with pytest.raises(ScenarioError, match=r"buyer.*more than its budget"):
        parse_scenario(data, source="test")
