"""Stylized facts of online communities, reproduced at small scale."""

import numpy as np

from simulator import SIZES, builtin_scenario, run

SMALL = SIZES["small"]


def _result():
    scenario = builtin_scenario("quality-vs-quantity").resized(
        members=SMALL.members, days=SMALL.days
    )
    return run(scenario, "quality", 5)


def test_cascade_sizes_are_heavy_tailed():
    sizes = _result().cascade_sizes
    # Most posts reach few people through shares, a few reach many (Goel et al. 2012, 2016).
    assert np.median(sizes) <= 2
    assert sizes.max() >= 10 * max(np.median(sizes), 1)
    top = np.sort(sizes)[-max(len(sizes) // 100, 1) :]
    assert top.sum() >= 0.1 * sizes.sum()


def test_a_small_share_of_members_makes_most_of_the_content():
    posts = np.sort(_result().posts_per_member)[::-1]
    top_decile = posts[: len(posts) // 10].sum()
    # Participation inequality (Nielsen's 90-9-1): the top tenth writes most of the posts.
    assert top_decile >= 0.5 * posts.sum()
    assert (posts == 0).mean() >= 0.5
