"""The snowball rule and expert choice, as pure functions."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from domain.listening.alerts import snowballing
from domain.listening.routing import Candidate, choose


def test_a_snowball_needs_the_minimum_count_even_on_a_silent_topic() -> None:
    assert not snowballing(4, 0.0, ratio=3.0, minimum=5)
    assert snowballing(5, 0.0, ratio=3.0, minimum=5)


def test_a_snowball_must_exceed_ratio_times_the_baseline() -> None:
    # Baseline of 2 per hour and a ratio of 3: six is not past the threshold, seven is.
    assert not snowballing(6, 2.0, ratio=3.0, minimum=5)
    assert snowballing(7, 2.0, ratio=3.0, minimum=5)


def test_a_baseline_below_one_counts_as_one() -> None:
    assert not snowballing(3, 0.1, ratio=3.0, minimum=1)
    assert snowballing(4, 0.1, ratio=3.0, minimum=1)


def test_the_least_loaded_expert_wins_then_the_most_relevant_then_the_lowest_id() -> None:
    assert choose([]) is None
    picked = choose([Candidate(1, 0.9, 3), Candidate(2, 0.1, 1), Candidate(3, 0.5, 1)])
    assert picked is not None
    assert picked.member_id == 3
    tie = choose([Candidate(5, 0.5, 0), Candidate(4, 0.5, 0)])
    assert tie is not None
    assert tie.member_id == 4


@given(
    experts=st.integers(min_value=1, max_value=8),
    initial=st.lists(st.integers(min_value=0, max_value=5), min_size=8, max_size=8),
    relevance=st.lists(st.floats(min_value=0.01, max_value=1.0), min_size=8, max_size=8),
    escalations=st.integers(min_value=0, max_value=60),
)
def test_routing_one_escalation_at_a_time_keeps_load_balanced(
    experts: int, initial: list[int], relevance: list[float], escalations: int
) -> None:
    load = Counter({m: initial[m] for m in range(experts)})
    for _ in range(escalations):
        picked = choose([Candidate(m, relevance[m], load[m]) for m in range(experts)])
        assert picked is not None
        # The one picked carries the least load of all.
        assert load[picked.member_id] == min(load[m] for m in range(experts))
        load[picked.member_id] += 1
    # Once the work given out covers the initial imbalance, loads differ by at most one.
    spread = max(initial[:experts]) * experts - sum(initial[:experts])
    if escalations >= spread:
        assert max(load.values()) - min(load[m] for m in range(experts)) <= 1
