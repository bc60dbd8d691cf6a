"""The follow graph: heavy-tailed follower counts, clustering from triads, homophily."""

import numpy as np

from simulator import Scenario, Strategy
from simulator.population import build_members
from simulator.streams import make_streams


def _members(**population):
    sc = Scenario(
        name="g", strategies=[Strategy(name="a")], population={"members": 3000, **population}
    )
    return build_members(sc, sc.strategies[0], make_streams(4))


def _mean_local_clustering(m) -> float:
    graph = m.followers.astype(np.int32)
    undirected = ((graph + graph.T) > 0).astype(np.int32)
    closed = np.asarray((undirected @ undirected).multiply(undirected).sum(axis=1)).ravel()
    degree = np.asarray(undirected.sum(axis=1)).ravel()
    ok = degree >= 2
    return float((closed[ok] / (degree[ok] * (degree[ok] - 1))).mean())


def test_follower_counts_are_heavy_tailed():
    counts = _members().follower_counts[:3000]
    assert counts.max() >= 20 * np.median(counts)


def test_triad_formation_raises_clustering():
    assert _mean_local_clustering(_members(triad_probability=0.8)) > 2 * _mean_local_clustering(
        _members(triad_probability=0.0)
    )


def test_homophily_makes_members_follow_people_with_their_interests():
    def same_topic_share(m):
        coo = m.followers.tocoo()
        dominant = m.interests.argmax(axis=1)
        return float((dominant[coo.row] == dominant[coo.col]).mean())

    assert (
        same_topic_share(_members(homophily=0.9)) > same_topic_share(_members(homophily=0.0)) + 0.2
    )
