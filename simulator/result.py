"""What a run returns: daily KPIs, a summary, and optionally the final population and events."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

ENGAGEMENT_KINDS = {1: "like", 2: "comment", 3: "share"}
"""Codes of Events.engagement_kind. Views are counted in the daily series but not recorded."""


@dataclass(frozen=True)
class FinalPopulation:
    """Every member row at the end of the run (rows never joined have joined == False).

    Row index is the member id used by Events and by follow_edges. join_day is -1 for rows
    that never joined; left_day is -1 for members still active (left = churned at end of day).
    """

    topics: list[str]
    interests: npt.NDArray[np.float32]
    affinity: npt.NDArray[np.float32]
    activity: npt.NDArray[np.float32]
    creator: npt.NDArray[np.float32]
    bought: npt.NDArray[np.bool_]
    joined: npt.NDArray[np.bool_]
    churned: npt.NDArray[np.bool_]
    join_day: npt.NDArray[np.int32]
    left_day: npt.NDArray[np.int32]
    trust: npt.NDArray[np.float32]
    love: npt.NDArray[np.float32]
    followers: npt.NDArray[np.int32]
    influencer: npt.NDArray[np.bool_]
    follow_edges: npt.NDArray[np.int32]
    """Shape (E, 2): column 0 follows column 1."""


@dataclass(frozen=True)
class Events:
    """Per-post, per-engagement, per-mention and per-conversion records of one run.

    post_author is -1 for the brand's posts; post_parent is -1 for top-level posts and the
    post id for comments (replies). Post ids are 0..n-1 in creation order.
    """

    post_id: npt.NDArray[np.int64]
    post_author: npt.NDArray[np.int32]
    post_day: npt.NDArray[np.int32]
    post_topic: npt.NDArray[np.int16]
    post_quality: npt.NDArray[np.float32]
    post_sentiment: npt.NDArray[np.float32]
    post_parent: npt.NDArray[np.int64]
    engagement_member: npt.NDArray[np.int32]
    engagement_post: npt.NDArray[np.int64]
    engagement_kind: npt.NDArray[np.int8]
    engagement_day: npt.NDArray[np.int32]
    mention_member: npt.NDArray[np.int32]
    mention_day: npt.NDArray[np.int32]
    mention_topic: npt.NDArray[np.int16]
    mention_sentiment: npt.NDArray[np.float32]
    mention_answered: npt.NDArray[np.bool_]
    mention_response_seconds: npt.NDArray[np.float64]
    mention_escalated: npt.NDArray[np.bool_]
    mention_within_target: npt.NDArray[np.bool_]
    conversion_member: npt.NDArray[np.int32]
    conversion_post: npt.NDArray[np.int64]
    conversion_day: npt.NDArray[np.int32]
    conversion_value: npt.NDArray[np.float64]


@dataclass
class RunResult:
    """One scenario x strategy x seed."""

    scenario: str
    strategy: str
    seed: int
    days: int
    members: int
    daily: dict[str, npt.NDArray[np.float64]]
    summary: dict[str, float]
    cascade_sizes: npt.NDArray[np.int64]
    """Per top-level post: exposures it got through shares (its cascade size)."""
    posts_per_member: npt.NDArray[np.int32]
    """Top-level posts authored, one entry per member row that ever joined."""
    probability_range: tuple[float, float] = (0.0, 1.0)
    """Smallest and largest probability the run drew against (a self-check)."""
    population: FinalPopulation | None = None
    events: Events | None = None
    meta: dict[str, float] = field(default_factory=dict)
