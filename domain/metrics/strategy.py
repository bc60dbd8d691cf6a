"""Strategy alignment: how much of the conversation is on topics where the brand has an edge."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.metrics.base import as_floats, safe_ratio


def strategy_alignment(conversations_per_topic: npt.ArrayLike, advantage: npt.ArrayLike) -> float:
    """Share of conversations on strategic topics, weighted by competitive advantage, in [0, 1].

    conversations_per_topic is the conversation volume per topic (counts, or summed topic
    weights when an item spans several topics); advantage is each topic's competitive-advantage
    weight in [0, 1], 0 for non-strategic topics. Permuting topics consistently leaves it unchanged.
    """
    volume = np.maximum(as_floats(conversations_per_topic), 0.0)
    weights = np.clip(as_floats(advantage), 0.0, 1.0)
    if volume.shape != weights.shape:
        raise ValueError("conversations_per_topic and advantage need one entry per topic")
    return safe_ratio(float(volume @ weights), float(volume.sum()))
