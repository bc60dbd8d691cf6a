"""What gets published each day: the brand's posts (by its strategy) and members' posts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from simulator.state import Pool, RunState


def _categorical_rows(
    weights: npt.NDArray[np.float32], rng: np.random.Generator
) -> npt.NDArray[np.int16]:
    """One category per row, drawn with that row's weights (rows sum to 1)."""
    cumulative = np.cumsum(weights, axis=1)
    draws = np.asarray(rng.random(weights.shape[0], dtype=np.float32), dtype=np.float32)
    u = draws[:, None] * cumulative[:, -1:]
    return np.minimum((cumulative < u).sum(axis=1), weights.shape[1] - 1).astype(np.int16)


def _weights_or(
    fallback: npt.NDArray[np.float64], weights: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    return weights / weights.sum() if weights.sum() > 0 else fallback


def brand_topics(state: RunState, count: int, rng: np.random.Generator) -> npt.NDArray[np.int16]:
    """Topics of the brand's posts from its topic mix: members' interests, goals, strategic."""
    mix = state.strategy.topic_mix
    shares = np.array([mix.interests, mix.goals, mix.strategic])
    component = rng.choice(3, size=count, p=shares / shares.sum())
    n = state.n_topics
    # An unskilled manager guesses members' interests: a skilled one reads them correctly.
    uniform = np.full(n, 1.0 / n)
    read = state.skill * state.alpha_mean + (1 - state.skill) * uniform
    goals = _weights_or(read, np.array([float(t.goal) for t in state.scenario.topics]))
    strategic = _weights_or(read, state.advantage.astype(np.float64))
    tables = np.stack((read, goals, strategic))
    return np.array([rng.choice(n, p=tables[c]) for c in component], dtype=np.int16)


def publish(state: RunState, visitors: npt.NDArray[np.int64]) -> None:
    """Publish today's posts and roll the feed pool to today's and yesterday's posts."""
    rng, m, strategy = state.streams["content"], state.members, state.strategy
    n_brand = int(rng.poisson(strategy.posts_per_day))
    brand_quality = strategy.quality * (0.6 + 0.4 * state.skill)
    b_quality = np.clip(brand_quality + rng.normal(0, 0.05, n_brand), 0, 1).astype(np.float32)
    b_topic = brand_topics(state, n_brand, rng)
    posters = visitors[rng.random(visitors.size, dtype=np.float32) < m.creator[visitors]]
    p_topic = _categorical_rows(m.interests[posters], rng)
    p_quality = rng.beta(2.0, 3.0, posters.size).astype(np.float32)
    m.posts_made[posters] += 1
    state.touch(posters)
    topic = np.concatenate((b_topic, p_topic))
    quality = np.concatenate((b_quality, p_quality))
    author = np.concatenate((np.full(n_brand, -1, np.int32), posters.astype(np.int32)))
    ids = state.new_ids(topic.size)
    sentiment = _post_sentiment(state, author, rng)
    if state.log.enabled:
        state.log.add("post", id=ids, author=author, day=np.full(ids.size, state.day),
                      topic=topic, quality=quality, sentiment=sentiment,
                      parent=np.full(ids.size, -1))  # fmt: skip
    t = state.tally
    t.brand_posts, t.member_posts = n_brand, int(posters.size)
    t.add_topics(p_topic)
    state.brand_post_count += n_brand
    state.top_level_posts += int(ids.size)
    _roll_pool(state, ids, topic, quality, author < 0)


def _post_sentiment(
    state: RunState, author: npt.NDArray[np.int32], rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    trust = np.where(author >= 0, state.members.trust[np.maximum(author, 0)], 0.8)
    return sentiment_scores(trust.astype(np.float32), rng)


def sentiment_scores(
    trust: npt.NDArray[np.float32], rng: np.random.Generator
) -> npt.NDArray[np.float32]:
    """Sentiment in [-1, 1] of what members write: trusting members write warmly (assumption)."""
    u = rng.random(trust.size, dtype=np.float32)
    magnitude = rng.uniform(0.2, 1.0, trust.size).astype(np.float32)
    positive = u < 0.15 + 0.5 * trust
    negative = u > 0.95 - 0.3 * (1 - trust)
    return np.where(positive, magnitude, np.where(negative, -magnitude, 0.0)).astype(np.float32)


def _roll_pool(state: RunState, ids: npt.NDArray[np.int64], topic: npt.NDArray[np.int16],
               quality: npt.NDArray[np.float32], brand: npt.NDArray[np.bool_]) -> None:  # fmt: skip
    old = state.pool
    keep = old.day >= state.day - 1
    state.retired_reach.append(old.reach[~keep])
    state.pool = Pool(
        ids=np.concatenate((old.ids[keep], ids)),
        topic=np.concatenate((old.topic[keep], topic)),
        quality=np.concatenate((old.quality[keep], quality)),
        brand=np.concatenate((old.brand[keep], brand)),
        day=np.concatenate((old.day[keep], np.full(ids.size, state.day, np.int32))),
        engaged=np.concatenate((old.engaged[keep], np.zeros(ids.size, np.int64))),
        reach=np.concatenate((old.reach[keep], np.zeros(ids.size, np.int64))),
    )
