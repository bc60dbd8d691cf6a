"""Engagement KPIs: engagement rate, per-post rates and quality-weighted engagement."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.metrics.base import FloatArray, as_floats, safe_ratio


def engagement_rate(likes: float, comments: float, shares: float, audience: float) -> float:
    """(likes + comments + shares) / audience size; 0.0 for an empty audience."""
    return safe_ratio(likes + comments + shares, audience)


def amplification_rate(shares: float, posts: float) -> float:
    """Shares per published post."""
    return safe_ratio(shares, posts)


def conversation_rate(comments: float, posts: float) -> float:
    """Comments per published post."""
    return safe_ratio(comments, posts)


def applause_rate(likes: float, posts: float) -> float:
    """Likes per published post."""
    return safe_ratio(likes, posts)


def engagement_weight(followers: npt.ArrayLike, interest_match: npt.ArrayLike) -> FloatArray:
    """Weight of each engagement: the engager's interest match times their influence.

    Influence grows with the logarithm of followers (1 for nobody, 2 for 9 followers, 4 for 999),
    because reach is heavy-tailed and a linear weight would let one celebrity drown the
    community. Interest match is the engager's interest in the content's topics, clipped to
    [0, 1]. A like from a relevant, influential member counts more than one from a bought
    follower with no followers and no interest.
    """
    influence = 1.0 + np.log10(1.0 + np.maximum(as_floats(followers), 0.0))
    match = np.clip(as_floats(interest_match), 0.0, 1.0)
    weights: FloatArray = influence * match
    return weights


def quality_weighted_engagement(followers: npt.ArrayLike, interest_match: npt.ArrayLike) -> float:
    """Sum of engagement weights over the engagements of the window (one entry per engagement).

    Additive over disjoint windows and independent of the order of engagements.
    """
    return float(engagement_weight(followers, interest_match).sum())
