"""Hand-computed examples of every KPI formula in domain.metrics."""

import math

import pytest

from domain import metrics


def test_engagement_rate_adds_likes_comments_shares_over_audience():
    assert metrics.engagement_rate(30, 15, 5, 1000) == pytest.approx(0.05)


def test_rates_are_zero_when_the_denominator_is_zero():
    assert metrics.engagement_rate(3, 2, 1, 0) == 0.0
    assert metrics.amplification_rate(4, 0) == 0.0
    assert metrics.response_rate(0, 0) == 0.0
    assert metrics.roi(100.0, 0.0) == 0.0


def test_per_post_rates_divide_by_published_posts():
    assert metrics.amplification_rate(6, 3) == 2.0
    assert metrics.conversation_rate(9, 3) == 3.0
    assert metrics.applause_rate(30, 3) == 10.0


def test_audience_and_active_members_count_flags_and_engagers():
    assert metrics.audience_size([True, False, True, True]) == 3
    assert metrics.active_members([0, 2, 0, 5, 1]) == 3


def test_stickiness_is_mean_daily_active_over_monthly_active():
    assert metrics.stickiness([10, 20, 30], 100) == pytest.approx(0.2)
    assert metrics.stickiness([], 100) == 0.0


def test_retention_and_churn_rate_are_shares_of_their_base():
    assert metrics.retention(200, 150) == 0.75
    assert metrics.churn_count([1, 0, 4]) == 5
    assert metrics.churn_rate(5, 100) == 0.05


def test_a_relevant_influential_like_outweighs_a_bought_one():
    relevant, bought = metrics.engagement_weight([999, 0], [0.8, 0.05])
    assert relevant == pytest.approx(0.8 * 4.0)
    assert bought == pytest.approx(0.05)
    assert metrics.quality_weighted_engagement([999, 0], [0.8, 0.05]) == pytest.approx(3.25)


def test_net_sentiment_is_percent_positive_minus_percent_negative():
    assert metrics.net_sentiment(60, 10, 100) == pytest.approx(50.0)
    assert metrics.sentiment_counts([0.9, -0.5, 0.0, 0.01, 0.3]) == (2, 1, 5)


def test_median_first_response_ignores_unanswered_items():
    assert metrics.median_first_response_time([60.0, math.nan, 180.0, 120.0]) == 120.0
    assert metrics.median_first_response_time([math.nan]) is None


def test_escalation_sla_counts_answers_within_target_and_misses_unanswered():
    within = metrics.escalations_within_target([3600.0, 9000.0, math.nan], 7200.0)
    assert within == 1
    assert metrics.escalation_sla(within, 3) == pytest.approx(1 / 3)


def test_love_and_trust_averages_are_plain_means():
    assert metrics.average_love([0.2, 0.4]) == pytest.approx(0.3)
    assert metrics.average_trust([]) == 0.0


def test_strategy_alignment_weights_conversation_volume_by_advantage():
    assert metrics.strategy_alignment([50, 30, 20], [1.0, 0.5, 0.0]) == pytest.approx(0.65)


def test_strategy_alignment_rejects_mismatched_topics():
    with pytest.raises(ValueError, match="one entry per topic"):
        metrics.strategy_alignment([1, 2], [1.0])


def test_conversions_roi_and_payback():
    assert metrics.conversion_totals([10.0, 30.0]) == (2, 40.0)
    assert metrics.roi(300.0, 100.0) == 3.0
    assert metrics.payback_index([0, 5, 20, 20], [10, 10, 10, 10]) == 3
    assert metrics.payback_index([0, 0], [10, 10]) is None
