"""Properties of the KPI formulas: ranges, order invariance and additivity where it holds."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from domain import metrics

counts = st.integers(min_value=0, max_value=10**6)
shares = st.floats(min_value=0.0, max_value=1.0)
scores = st.lists(st.floats(min_value=-1.0, max_value=1.0), max_size=50)


@given(counts, counts)
def test_response_rate_and_retention_stay_within_zero_and_one(part, extra):
    assert 0.0 <= metrics.response_rate(part, part + extra) <= 1.0
    assert 0.0 <= metrics.retention(part + extra, part) <= 1.0


@given(scores)
def test_net_sentiment_stays_within_plus_minus_one_hundred(values):
    positive, negative, total = metrics.sentiment_counts(values)
    assert -100.0 <= metrics.net_sentiment(positive, negative, total) <= 100.0


@given(st.lists(st.tuples(counts, shares), max_size=40), st.randoms())
def test_quality_weighted_engagement_ignores_the_order_of_engagements(rows, rnd):
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    before = metrics.quality_weighted_engagement([r[0] for r in rows], [r[1] for r in rows])
    after = metrics.quality_weighted_engagement([r[0] for r in shuffled], [r[1] for r in shuffled])
    assert np.isclose(before, after)


@given(st.lists(st.tuples(counts, shares), max_size=40), st.integers(0, 40))
def test_quality_weighted_engagement_adds_over_disjoint_windows(rows, cut):
    followers, match = [r[0] for r in rows], [r[1] for r in rows]
    whole = metrics.quality_weighted_engagement(followers, match)
    parts = metrics.quality_weighted_engagement(
        followers[:cut], match[:cut]
    ) + metrics.quality_weighted_engagement(followers[cut:], match[cut:])
    assert np.isclose(whole, parts)


@given(st.lists(st.tuples(counts, shares), min_size=1, max_size=8), st.randoms())
def test_strategy_alignment_is_a_share_and_ignores_topic_order(rows, rnd):
    volume, advantage = [r[0] for r in rows], [r[1] for r in rows]
    value = metrics.strategy_alignment(volume, advantage)
    assert 0.0 <= value <= 1.0 + 1e-12
    order = list(range(len(rows)))
    rnd.shuffle(order)
    permuted = metrics.strategy_alignment([volume[i] for i in order], [advantage[i] for i in order])
    assert np.isclose(value, permuted)


@given(st.lists(st.floats(0, 1e4), max_size=30), st.lists(st.floats(0, 1e4), max_size=30))
def test_conversion_totals_add_over_disjoint_windows(first, second):
    n1, v1 = metrics.conversion_totals(first)
    n2, v2 = metrics.conversion_totals(second)
    n, v = metrics.conversion_totals(first + second)
    assert n == n1 + n2
    assert np.isclose(v, v1 + v2)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=30), st.randoms())
def test_median_first_response_ignores_order(seconds, rnd):
    shuffled = seconds[:]
    rnd.shuffle(shuffled)
    assert metrics.median_first_response_time(seconds) == metrics.median_first_response_time(
        shuffled
    )


@given(st.lists(counts, max_size=30), st.integers(1, 10**6))
def test_stickiness_stays_within_zero_and_one(daily, monthly):
    assert 0.0 <= metrics.stickiness(daily, monthly) <= 1.0


@given(counts, counts, counts, st.integers(1, 10**6))
def test_engagement_rate_is_never_negative(likes, comments, shares_, audience):
    assert metrics.engagement_rate(likes, comments, shares_, audience) >= 0.0
