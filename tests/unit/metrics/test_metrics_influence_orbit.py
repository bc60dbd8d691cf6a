"""PageRank over the follow graph, influencer scores, orbit levels and love, for all inputs."""

from __future__ import annotations

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.influence import influence_score, pagerank
from domain.orbit import THRESHOLDS, level_for, love_score

graphs = st.integers(1, 30).flatmap(
    lambda n: st.tuples(
        st.just(n),
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=80),
    )
)


def test_the_centre_of_a_star_outranks_its_followers() -> None:
    ranks = pagerank(5, [1, 2, 3, 4], [0, 0, 0, 0])

    assert ranks.argmax() == 0
    assert np.allclose(ranks[1:], ranks[1])


def test_a_member_followed_by_the_followed_gains_more_than_one_followed_by_nobodies() -> None:
    # 0 is followed by 1, 2, 3; 4 is followed by 0 only; 5 is followed by 6 (who nobody follows).
    ranks = pagerank(7, [1, 2, 3, 0, 6], [0, 0, 0, 4, 5])

    assert ranks[4] > ranks[5]


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(graphs)
def test_ranks_are_a_distribution(graph: tuple[int, list[tuple[int, int]]]) -> None:
    n, edges = graph
    edges = list({(a, b) for a, b in edges if a != b})

    ranks = pagerank(n, [a for a, _ in edges], [b for _, b in edges])

    assert ranks.shape == (n,)
    assert (ranks > 0).all()
    assert abs(ranks.sum() - 1.0) < 1e-9


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(graphs, st.randoms())
def test_ranks_do_not_depend_on_the_order_of_follows(
    graph: tuple[int, list[tuple[int, int]]], rng: random.Random
) -> None:
    n, edges = graph
    edges = list({(a, b) for a, b in edges if a != b})
    shuffled = list(edges)
    rng.shuffle(shuffled)

    first = pagerank(n, [a for a, _ in edges], [b for _, b in edges])
    second = pagerank(n, [a for a, _ in shuffled], [b for _, b in shuffled])

    assert np.allclose(first, second, atol=1e-12)


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(st.floats(0, 100), st.floats(0, 1e6), st.floats(0, 1e6))
def test_more_quality_never_lowers_the_score(reach: float, low: float, extra: float) -> None:
    assert influence_score(reach, low + extra) >= influence_score(reach, low)
    assert influence_score(reach, 0.0) == reach


@settings(deadline=None)  # the shared machine's load is no property of the code
@given(st.floats(0, 1e6), st.floats(0, 1e6))
def test_more_love_never_means_a_lower_orbit(points: float, extra: float) -> None:
    assert level_for(points + extra) <= level_for(points)
    assert 1 <= level_for(points) <= 4
    assert 0.0 <= love_score(points) < 1.0


def test_the_thresholds_place_members_in_the_four_orbits() -> None:
    (_, core), (_, fans), (_, participants) = THRESHOLDS

    assert [level_for(p) for p in (core, fans, participants, 0.0)] == [1, 2, 3, 4]
    assert level_for(participants - 0.01) == 4
