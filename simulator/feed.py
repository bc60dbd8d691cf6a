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
    """Member x pool-item pairs that were seen.

    per_viewer = k says the exposures come in blocks of k for one viewer (a feed), which lets
    per-member values be looked up once per block; 1 means any order, repeats allowed.
    """

    viewer: I64
    item: I64
    per_viewer: int = 1


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
    weight = np.where(pool.day == state.day, 1.0, 0.5) * (1.0 + pool.engaged)
    n_brand = int(np.count_nonzero(pool.brand))
    share = 1.0 - np.exp(-n_brand / state.scenario.dynamics.brand_visibility) if n_brand else 0.0
    if n_brand == pool.ids.size:
        share = 1.0
    # A slot goes to the brand with probability `share`, then to one of its posts by weight
    # (and likewise for members' posts): one draw from the product of the two.
    brand_total = float(weight[pool.brand].sum())
    member_total = float(weight.sum()) - brand_total
    scale = np.where(
        pool.brand,
        share / brand_total if brand_total > 0 else 0.0,
        (1.0 - share) / member_total if member_total > 0 else 0.0,
    )
    item = _pick(weight * scale, visitors.size * k, rng)
    return Exposures(np.repeat(visitors, k), item, per_viewer=k)


def _per_viewer(exp: Exposures, values: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """A per-member array looked up for every exposure (once per feed, then repeated)."""
    k = exp.per_viewer
    if k == 1:
        return values[exp.viewer]
    return np.repeat(values[exp.viewer[::k]], k)


def engagement_probability(
    state: RunState, exp: Exposures
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """(interest match in [0, 1], probability of engaging) for each exposure."""
    m, pool, dyn = state.members, state.pool, state.scenario.dynamics
    raw = m.interests[exp.viewer, pool.topic[exp.item]]
    raw *= np.float32(state.n_topics)
    affinity = _per_viewer(exp, m.affinity)
    match = np.minimum(raw, np.float32(1.0))
    match *= affinity
    # What the post brings (quality, social proof) is worked out once per post in the pool.
    social = 1.0 + dyn.social_proof * np.log1p(pool.engaged)
    per_post = ((0.3 + 1.4 * pool.quality) * social * dyn.base_engagement).astype(np.float32)
    intensity = _per_viewer(exp, m.trust)
    intensity += np.float32(0.5)
    intensity *= affinity
    intensity *= raw
    intensity *= per_post[exp.item]
    np.negative(intensity, out=intensity)
    probability = np.expm1(intensity, out=intensity)
    np.negative(probability, out=probability)
    return match, state.check(probability)


def engage(state: RunState, exp: Exposures) -> I64:
    """Draw and apply engagements; return the shares as a (sharer, pool row) pair of arrays."""
    rng, dyn = state.streams["feed"], state.scenario.dynamics
    match, probability = engagement_probability(state, exp)
    hit = rng.random(probability.size, dtype=np.float32) < probability
    _learn_relevance(state, exp, match)
    viewer, item, match = exp.viewer[hit], exp.item[hit], match[hit]
    u = rng.random(viewer.size)
    # 1 (like) below like_share, 2 (comment) below like_share + comment_share, else 3 (share).
    kind = (u >= dyn.like_share).astype(np.int8)
    kind += u >= dyn.like_share + dyn.comment_share
    kind += LIKE
    _apply(state, viewer, item, kind, match)
    shared = kind == SHARE
    return np.stack((viewer[shared], item[shared]))


def _learn_relevance(state: RunState, exp: Exposures, match: npt.NDArray[np.float32]) -> None:
    # Relevance is a moving average of how well what a member sees matches them; spam from
    # the brand (low quality and off-interest) costs trust. A member seen several times today
    # moves by their last exposure (as an assignment through repeated indices does).
    m, pool, dyn = state.members, state.pool, state.scenario.dynamics
    k = exp.per_viewer
    rows, last = exp.viewer[k - 1 :: k], match[k - 1 :: k]
    m.relevance[rows] = 0.9 * m.relevance[rows] + 0.1 * last
    brand = pool.brand[exp.item]
    if brand.any():
        spam = dyn.spam_loss * (1 - pool.quality[exp.item[brand]]) * (1 - match[brand])
        who = exp.viewer[brand]
        m.trust[who] = np.maximum(m.trust[who] - spam, 0.0)
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
    state.engaged.append(state.touch(viewer))
    m.trust[viewer] = np.minimum(m.trust[viewer] + dyn.trust_relevance_gain * match, 1.0)
    m.love[viewer] = m.love[viewer] + dyn.love_rate * match * (1 - m.love[viewer])
    counts = np.bincount(kind, minlength=SHARE + 1)
    t.likes += int(counts[LIKE])
    t.comments += int(counts[COMMENT])
    t.shares += int(counts[SHARE])
    on_brand = int(pool.brand[item].sum())
    t.brand_engagements += on_brand
    state.brand_post_engagements += on_brand
    weights = metrics.engagement_weight(m.follower_counts[viewer], match)
    t.quality_weighted += float(weights.sum())
    if state.log.enabled:
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
        if state.log.enabled:
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
    if state.log.enabled:
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
