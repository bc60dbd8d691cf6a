"""Invariants that hold for any valid scenario (Hypothesis over scenario parameters)."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Scenario, run
from simulator.scenario import Dynamics, Incident, Population, Strategy

strategies_ = st.builds(
    Strategy,
    name=st.just("s"),
    posts_per_day=st.floats(0.0, 10.0),
    quality=st.floats(0.0, 1.0),
    response_share=st.floats(0.0, 1.0),
    response_hours=st.floats(0.1, 100.0),
    escalation=st.booleans(),
    paid_followers=st.floats(0.0, 2.0),
    influencers=st.integers(0, 20),
    manager=st.sampled_from(["in-house", "agency"]),
    ad_spend_per_day=st.floats(0.0, 500.0),
)
scenarios = st.builds(
    Scenario,
    name=st.just("prop"),
    days=st.integers(1, 25),
    population=st.builds(
        Population,
        members=st.integers(10, 300),
        visit_median=st.floats(0.0, 1.0),
        creator_median=st.floats(0.0, 0.5),
        homophily=st.floats(0.0, 1.0),
        triad_probability=st.floats(0.0, 1.0),
        market_share=st.floats(0.0, 3.0),
        bass_p=st.floats(0.0, 1.0),
        bass_q=st.floats(0.0, 1.0),
    ),
    dynamics=st.builds(
        Dynamics,
        base_engagement=st.floats(0.01, 50.0),
        share_attention=st.floats(0.0, 1.0),
        complaint_rate=st.floats(0.0, 0.2),
        churn_daily=st.floats(0.0, 0.5),
        echo_probability=st.floats(0.0, 1.0),
    ),
    incidents=st.lists(
        st.builds(Incident, day=st.integers(0, 20), severity=st.floats(0, 1)), max_size=2
    ),
    strategies=st.lists(strategies_, min_size=1, max_size=1),
)

checks = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@checks
@given(scenarios, st.integers(0, 2**32 - 1))
def test_counts_are_never_negative_and_probabilities_stay_in_zero_one(scenario, seed):
    result = run(scenario, "s", seed)
    for name, series in result.daily.items():
        finite = series[np.isfinite(series)]
        assert (finite >= 0).all() or name == "net_sentiment", name
    low, high = result.probability_range
    assert 0.0 <= low <= high <= 1.0


@checks
@given(scenarios, st.integers(0, 2**32 - 1))
def test_audience_is_yesterdays_plus_joins_minus_churn(scenario, seed):
    daily = run(scenario, "s", seed).daily
    previous = np.concatenate(([0.0], daily["audience"][:-1]))
    np.testing.assert_array_equal(daily["audience"], previous + daily["joins"] - daily["churned"])


@checks
@given(scenarios, st.integers(0, 2**32 - 1))
def test_no_member_acts_outside_their_membership(scenario, seed):
    result = run(scenario, "s", seed, record_events=True, keep_population=True)
    pop, ev = result.population, result.events
    left = np.where(pop.left_day < 0, np.iinfo(np.int32).max, pop.left_day)
    for member, day in (
        (ev.engagement_member, ev.engagement_day),
        (ev.mention_member, ev.mention_day),
        (ev.conversion_member, ev.conversion_day),
        (ev.post_author[ev.post_author >= 0], ev.post_day[ev.post_author >= 0]),
    ):
        assert pop.joined[member].all()
        assert (pop.join_day[member] <= day).all()
        assert (day <= left[member]).all()
