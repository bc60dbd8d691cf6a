"""Bounded-attention feeds, engagement, and share cascades (independent cascade model).

Each visitor reads ``feed_size`` items of the pool; the brand's posts take a share of the
slots that grows with how many it publishes. Engagement probability combines interest match,
quality, trust, affinity and social proof. A share exposes a random subset of the sharer's
followers, who may engage and share on: an independent cascade (Kempe et al. 2003) bounded
in depth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from domain import metrics
from domain.metrics.sentiment import NEUTRAL_BAND
from simulator.content import sentiment_scores
from simulator.state import RunState

I64 = npt.NDArray[np.int64]
LIKE, COMMENT, SHARE = 1, 2, 3


@dataclass
class Exposures:
    """Member x pool-item pairs that were seen."""

    viewer: I64
    item: I64


def _pick(weights: npt.NDArray[np.float64], count: int, rng: np.random.Generator) -> I64:
    """count draws of an index with probability proportional to weights, in random order."""
    # Counts per item then a shuffle: far cheaper than a binary search per draw at scale.
    counts = rng.multinomial(count, weights / weights.sum())
    picks = np.repeat(np.arange(weights.size, dtype=np.int64), counts)
    rng.shuffle(picks)
    return picks


def feed_exposures(state: RunState, visitors: I64) -> Exposures:
    """Who sees which pool item in their feed today."""
    pool, rng = state.pool, state.streams["feed"]
    k = state.scenario.dynamics.feed_size
    if pool.ids.size == 0 or visitors.size == 0:
        return Exposures(np.empty(0, np.int64), np.empty(0, np.int64))
    viewer = np.repeat(visitors, k)
    weight = np.where(pool.day == state.day, 1.0, 0.5) * (1.0 + pool.engaged)
    brand_rows = np.flatnonzero(pool.brand)
    member_rows = np.flatnonzero(~pool.brand)
    n_brand = brand_rows.size
    share = 1.0 - np.exp(-n_brand / state.scenario.dynamics.brand_visibility) if n_brand else 0.0
    if member_rows.size == 0:
        share = 1.0
    to_brand = rng.random(viewer.size) < share
    item = np.empty(viewer.size, dtype=np.int64)
    nb = int(to_brand.sum())
    if nb:
        item[to_brand] = brand_rows[_pick(weight[brand_rows], nb, rng)]
    if viewer.size - nb:
        item[~to_brand] = member_rows[_pick(weight[member_rows], viewer.size - nb, rng)]
    return Exposures(viewer, item)


def engagement_probability(
    state: RunState, exp: Exposures
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(interest match in [0, 1], probability of engaging) for each exposure."""
    m, pool, dyn = state.members, state.pool, state.scenario.dynamics
    topic = pool.topic[exp.item]
    raw = m.interests[exp.viewer, topic] * np.float32(state.n_topics)
    match = np.minimum(raw, 1.0) * m.affinity[exp.viewer]
    social = 1.0 + dyn.social_proof * np.log1p(pool.engaged[exp.item]).astype(np.float32)
    quality = 0.3 + 1.4 * pool.quality[exp.item]
    intensity = (dyn.base_engagement * m.affinity[exp.viewer] * raw * quality
                 * (0.5 + m.trust[exp.viewer]) * social)  # fmt: skip
    return match.astype(np.float32), state.check(-np.expm1(-intensity).astype(np.float32))


def engage(state: RunState, exp: Exposures) -> I64:
    """Draw and apply engagements; return the shares as a (sharer, pool row) pair of arrays."""
    rng, dyn = state.streams["feed"], state.scenario.dynamics
    match, probability = engagement_probability(state, exp)
    hit = rng.random(probability.size, dtype=np.float32) < probability
    _learn_relevance(state, exp, match)
    viewer, item, match = exp.viewer[hit], exp.item[hit], match[hit]
    u = rng.random(viewer.size)
    kind = np.where(
        u < dyn.like_share, LIKE, np.where(u < dyn.like_share + dyn.comment_share, COMMENT, SHARE)
    )
    _apply(state, viewer, item, kind.astype(np.int8), match)
    shared = kind == SHARE
    return np.stack((viewer[shared], item[shared]))


def _learn_relevance(state: RunState, exp: Exposures, match: npt.NDArray[np.float32]) -> None:
    # Relevance is a moving average of how well what a member sees matches them; spam from
    # the brand (low quality and off-interest) costs trust.
    m, pool, dyn = state.members, state.pool, state.scenario.dynamics
    m.relevance[exp.viewer] = 0.9 * m.relevance[exp.viewer] + 0.1 * match
    brand = pool.brand[exp.item]
    spam = dyn.spam_loss * (1 - pool.quality[exp.item][brand]) * (1 - match[brand])
    m.trust[exp.viewer[brand]] = np.maximum(m.trust[exp.viewer[brand]] - spam, 0.0)
    state.tally.views += int(exp.viewer.size)


def _apply(
    state: RunState,
    viewer: I64,
    item: I64,
    kind: npt.NDArray[np.int8],
    match: npt.NDArray[np.float32],
) -> None:
    m, pool, dyn, t = state.members, state.pool, state.scenario.dynamics, state.tally
    pool.engaged += np.bincount(item, minlength=pool.ids.size)
    m.last_active[viewer] = state.day
    m.trust[viewer] = np.minimum(m.trust[viewer] + dyn.trust_relevance_gain * match, 1.0)
    m.love[viewer] = m.love[viewer] + dyn.love_rate * match * (1 - m.love[viewer])
    t.likes += int((kind == LIKE).sum())
    t.comments += int((kind == COMMENT).sum())
    t.shares += int((kind == SHARE).sum())
    on_brand = int(pool.brand[item].sum())
    t.brand_engagements += on_brand
    state.brand_post_engagements += on_brand
    weights = metrics.engagement_weight(m.follower_counts[viewer], match)
    t.quality_weighted += float(weights.sum())
    state.log.add("engagement", member=viewer, post=pool.ids[item], kind=kind,
                  day=np.full(viewer.size, state.day))  # fmt: skip
    _drift(state, viewer, pool.topic[item])
    _comments(state, viewer[kind == COMMENT], item[kind == COMMENT])
    _convert(state, viewer, item)


def _drift(state: RunState, viewer: I64, topic: npt.NDArray[np.int16]) -> None:
    # Conversations shape interests: engaging with a topic pulls a member's interests toward it.
    eta = np.float32(state.scenario.dynamics.interest_drift)
    if eta == 0 or viewer.size == 0:
        return
    interests = state.members.interests
    interests[viewer] *= 1 - eta
    interests[viewer, topic] += eta


def _comments(state: RunState, viewer: I64, item: I64) -> None:
    m, pool, rng = state.members, state.pool, state.streams["sentiment"]
    sentiment = sentiment_scores(m.trust[viewer], rng)
    t = state.tally
    t.positive_comments += int((sentiment > NEUTRAL_BAND).sum())
    t.negative_comments += int((sentiment < -NEUTRAL_BAND).sum())
    t.add_topics(pool.topic[item])
    if state.log.enabled:
        ids = state.new_ids(viewer.size)
        state.log.add("post", id=ids, author=viewer, day=np.full(ids.size, state.day),
                      topic=pool.topic[item], quality=rng.beta(2.0, 3.0, ids.size),
                      sentiment=sentiment, parent=pool.ids[item])  # fmt: skip


def _convert(state: RunState, viewer: I64, item: I64) -> None:
    # Engaged members convert on topics where the brand has a competitive advantage.
    m, pool, dyn = state.members, state.pool, state.scenario.dynamics
    rng = state.streams["conversions"]
    advantage = state.advantage[pool.topic[item]]
    probability = state.check(
        dyn.conversion_probability * advantage * m.trust[viewer] * m.affinity[viewer]
    )
    won = rng.random(viewer.size, dtype=np.float32) < probability
    count = int(won.sum())
    state.tally.conversions += count
    state.tally.conversion_value += count * dyn.conversion_value
    state.log.add("conversion", member=viewer[won], post=pool.ids[item[won]],
                  day=np.full(count, state.day),
                  value=np.full(count, dyn.conversion_value))  # fmt: skip


def follower_sample(state: RunState, sharers: I64, attention: npt.NDArray[np.float64] | float,
                    rng: np.random.Generator) -> tuple[I64, I64]:  # fmt: skip
    """Random followers of each sharer who notice the share; (index into sharers, follower).

    Each follower notices with probability ``attention``; drawing the count first (binomial)
    and then positions keeps the cost proportional to exposures, not to follower counts.
    """
    graph = state.members.followers
    start = graph.indptr[sharers]
    count = graph.indptr[sharers + 1] - start
    attention = np.broadcast_to(np.asarray(attention, dtype=np.float64), sharers.shape)
    noticed = rng.binomial(count, state.check(attention))
    which = np.repeat(np.arange(sharers.size), noticed)
    offset = (rng.random(which.size) * count[which]).astype(np.int64)
    follower = graph.indices[start[which] + offset].astype(np.int64)
    alive = state.alive_mask(follower)
    return which[alive], follower[alive]


def cascade(state: RunState, shares: I64) -> None:
    """Spread shares generation by generation, up to the scenario's cascade depth."""
    dyn, rng = state.scenario.dynamics, state.streams["cascade"]
    for _ in range(dyn.cascade_depth):
        if shares.shape[1] == 0:
            return
        which, follower = follower_sample(state, shares[0], dyn.share_attention, rng)
        item = shares[1][which]
        state.pool.reach += np.bincount(item, minlength=state.pool.ids.size)
        shares = engage(state, Exposures(follower, item))


def influencer_shares(state: RunState) -> I64:
    """Recruited influencers share one of today's brand posts now and then."""
    pool, rng = state.pool, state.streams["influencers"]
    today = np.flatnonzero(pool.brand & (pool.day == state.day))
    people = state.influencers[state.alive_mask(state.influencers)]
    if today.size == 0 or people.size == 0 or not state.paid_levers_on:
        return np.empty((2, 0), dtype=np.int64)
    sharing = people[rng.random(people.size) < state.strategy.influencer_share_probability]
    items = today[rng.integers(0, today.size, sharing.size)]
    state.tally.shares += int(sharing.size)
    return np.stack((sharing, items))


def run_feeds(state: RunState, visitors: I64) -> None:
    """The day's reading: feeds, engagement, then cascades from shares and influencers."""
    shares = engage(state, feed_exposures(state, visitors))
    cascade(state, np.concatenate((shares, influencer_shares(state)), axis=1))
