"""The KPI summary of a window: hand-computed examples and properties that hold for all inputs."""

from __future__ import annotations

import itertools
import random
from dataclasses import fields
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.metrics.report import ListeningInputs, Totals, WindowInputs, changes, summarize
from domain.metrics.window import Granularity, Window

counts = st.integers(0, 10_000)
totals = st.builds(
    Totals,
    **{f.name: (st.floats(0, 1e6) if f.type == "float" else counts) for f in fields(Totals)},
)


def test_a_hand_computed_window_gives_the_expected_kpis() -> None:
    inputs = WindowInputs(
        totals=Totals(posts=4, likes=10, comments=6, shares=2, views=50, positive_voices=3,
                      negative_voices=1, voices=5, churns=2, joins=7),
        audience_start=20, audience_end=25, active_members=12,
        trailing_daily_active=[3, 5, 4], trailing_active_members=8,
        questions_asked=4, questions_answered=3, response_seconds=[60.0, 600.0, 120.0],
        topic_volume=[6.0, 2.0], topic_advantage=[0.5, 0.0], love=0.4, trust=0.6,
    )  # fmt: skip

    summary = summarize(inputs)

    assert summary.audience_size == 25
    assert summary.engagement_rate == (10 + 6 + 2) / 25
    assert summary.applause_rate == 10 / 4
    assert summary.conversation_rate == 6 / 4
    assert summary.amplification_rate == 2 / 4
    assert summary.engagements == 68
    assert summary.net_sentiment == 100 * (3 - 1) / 5
    assert summary.response_rate == 3 / 4
    assert summary.median_first_response_seconds == 120.0
    assert summary.stickiness == 4 / 8
    assert summary.churn_rate == 2 / 20
    assert summary.strategy_alignment == (6 * 0.5) / 8
    assert summary.roi is None
    assert summary.conversions == 0
    assert (summary.mentions, summary.escalations, summary.escalation_sla) == (0, 0, None)


def test_mentions_join_comments_in_sentiment_and_responses_and_escalations_give_the_sla() -> None:
    heard = ListeningInputs(
        mentions=5, positive_mentions=1, negative_mentions=3, mentions_needing_answer=4,
        mentions_answered=1, mention_response_seconds=[30.0], escalations=4,
        escalations_within_target=3, escalation_response_seconds=[10.0, 20.0, 90.0],
    )  # fmt: skip
    inputs = WindowInputs(
        totals=Totals(positive_voices=3, negative_voices=1, voices=5),
        questions_asked=2, questions_answered=2, response_seconds=[60.0, 600.0],
        listening=heard,
    )  # fmt: skip

    summary = summarize(inputs)

    assert summary.net_sentiment == 100 * ((3 + 1) - (1 + 3)) / (5 + 5)
    assert summary.response_rate == (2 + 1) / (2 + 4)
    assert summary.median_first_response_seconds == 60.0
    assert summary.escalation_sla == 3 / 4
    assert summary.median_escalation_response_seconds == 20.0


def test_an_empty_window_is_all_zeros_and_no_median() -> None:
    summary = summarize(WindowInputs(totals=Totals()))

    assert summary.engagement_rate == 0.0 == summary.net_sentiment == summary.stickiness
    assert summary.median_first_response_seconds is None


def test_roi_is_value_over_cost_once_something_was_spent() -> None:
    summary = summarize(WindowInputs(totals=Totals(), conversion_value=300.0, cost=100.0))

    assert summary.roi == 3.0


def test_changes_give_the_delta_and_the_relative_change() -> None:
    now = summarize(WindowInputs(totals=Totals(likes=6)))
    before = summarize(WindowInputs(totals=Totals(likes=4)))

    moved = changes(now, before)

    assert moved["likes"] == (2.0, 0.5)
    assert moved["posts"] == (0.0, None)
    assert moved["roi"] == (None, None)


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(st.lists(totals, max_size=12), st.randoms())
def test_totals_do_not_depend_on_the_order_of_days(days: list[Totals], rng: random.Random) -> None:
    shuffled = list(days)
    rng.shuffle(shuffled)

    a, b = sum(days, Totals()), sum(shuffled, Totals())

    assert {f.name: round(getattr(a, f.name), 3) for f in fields(a)} == {
        f.name: round(getattr(b, f.name), 3) for f in fields(b)
    }


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(st.lists(totals, max_size=12), st.integers(0, 12))
def test_totals_of_disjoint_windows_add_up_to_the_totals_of_their_union(
    days: list[Totals], cut: int
) -> None:
    whole = sum(days, Totals())
    split = sum(days[:cut], Totals()) + sum(days[cut:], Totals())

    assert split.likes == whole.likes
    assert split.engagements == whole.engagements
    assert abs(split.quality_weighted - whole.quality_weighted) <= 1e-6 * (
        1 + whole.quality_weighted
    )


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(totals, counts, counts, st.lists(counts, max_size=30), counts)
def test_shares_and_sentiment_stay_within_their_ranges(
    t: Totals, start: int, end: int, daily: list[int], monthly: int
) -> None:
    t.voices = max(t.voices, t.positive_voices + t.negative_voices)
    summary = summarize(
        WindowInputs(totals=t, audience_start=start, audience_end=end,
                     trailing_daily_active=daily, trailing_active_members=monthly,
                     questions_asked=t.questions, questions_answered=min(t.questions, t.posts))
    )  # fmt: skip

    assert 0.0 <= summary.stickiness <= 1.0
    assert 0.0 <= summary.response_rate <= 1.0
    assert -100.0 <= summary.net_sentiment <= 100.0
    assert summary.engagement_rate >= 0.0
    assert summary.churn_rate >= 0.0


days = st.dates(date(2020, 1, 1), date(2030, 12, 31))


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(days, st.integers(0, 800), st.sampled_from(list(Granularity)))
def test_buckets_cover_the_window_once_in_order(
    first: date, length: int, granularity: Granularity
) -> None:
    window = Window(first, first + timedelta(days=length))

    buckets = window.buckets(granularity)

    assert buckets[0].first == window.first
    assert buckets[-1].last == window.last
    assert all(b.first <= b.last for b in buckets)
    assert all(a.last + timedelta(days=1) == b.first for a, b in itertools.pairwise(buckets))
    assert sum(b.days for b in buckets) == window.days


def test_weeks_are_iso_weeks_and_months_are_calendar_months() -> None:
    window = Window(date(2026, 1, 28), date(2026, 3, 3))  # a Wednesday to a Tuesday

    weeks = window.buckets(Granularity.WEEK)
    months = window.buckets(Granularity.MONTH)

    assert weeks[0] == Window(date(2026, 1, 28), date(2026, 2, 1))
    assert weeks[1] == Window(date(2026, 2, 2), date(2026, 2, 8))
    assert months == [
        Window(date(2026, 1, 28), date(2026, 1, 31)),
        Window(date(2026, 2, 1), date(2026, 2, 28)),
        Window(date(2026, 3, 1), date(2026, 3, 3)),
    ]
