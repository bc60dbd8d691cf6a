"""Per-day tallies and the optional event log a run fills as it steps."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulator.result import Events


@dataclass
class DayTally:
    """Counts of one day, from which the day's KPIs are computed."""

    n_topics: int
    joins: int = 0
    churned: int = 0
    audience: int = 0
    dau: int = 0
    mau: int = 0
    brand_posts: int = 0
    member_posts: int = 0
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    brand_engagements: int = 0
    quality_weighted: float = 0.0
    positive_mentions: int = 0
    negative_mentions: int = 0
    positive_comments: int = 0
    negative_comments: int = 0
    complaints: int = 0
    answered: int = 0
    escalations: int = 0
    escalations_within: int = 0
    conversions: int = 0
    conversion_value: float = 0.0
    cost: float = 0.0
    love: float = 0.0
    trust: float = 0.0
    retention: float = 0.0
    response_seconds: list[npt.NDArray[np.float64]] = field(default_factory=list)
    topic_volume: npt.NDArray[np.float64] = field(init=False)

    def __post_init__(self) -> None:
        self.topic_volume = np.zeros(self.n_topics)

    def add_topics(self, topics: npt.NDArray[np.integer]) -> None:
        """Count conversations (posts, comments, mentions) per topic for strategy alignment."""
        self.topic_volume += np.bincount(topics, minlength=self.n_topics)


_COLUMNS: dict[str, str] = {
    "post_id": "i8", "post_author": "i4", "post_day": "i4", "post_topic": "i2",
    "post_quality": "f4", "post_sentiment": "f4", "post_parent": "i8",
    "engagement_member": "i4", "engagement_post": "i8", "engagement_kind": "i1",
    "engagement_day": "i4", "mention_member": "i4", "mention_day": "i4", "mention_topic": "i2",
    "mention_sentiment": "f4", "mention_answered": "?", "mention_response_seconds": "f8",
    "mention_escalated": "?", "mention_within_target": "?", "conversion_member": "i4",
    "conversion_post": "i8", "conversion_day": "i4", "conversion_value": "f8",
}  # fmt: skip


class EventLog:
    """Collects event arrays per day when a run records events; a no-op otherwise."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._chunks: dict[str, list[npt.NDArray[np.generic]]] = {k: [] for k in _COLUMNS}

    def add(self, prefix: str, **columns: npt.ArrayLike) -> None:
        """Append one batch of records; every column of the prefix must be given."""
        if not self.enabled:
            return
        for name, values in columns.items():
            key = f"{prefix}_{name}"
            self._chunks[key].append(np.asarray(values, dtype=_COLUMNS[key]).ravel())

    def events(self) -> Events | None:
        """The collected records, concatenated, or None when recording was off."""
        if not self.enabled:
            return None
        arrays = {
            key: np.concatenate(chunks) if chunks else np.empty(0, dtype=_COLUMNS[key])
            for key, chunks in self._chunks.items()
        }
        return Events(**arrays)  # type: ignore[arg-type]
