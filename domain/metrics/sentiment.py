"""Net sentiment over mentions and comments."""

from __future__ import annotations

import numpy.typing as npt

from domain.metrics.base import as_floats, safe_ratio

NEUTRAL_BAND = 0.05
"""Scores within ±NEUTRAL_BAND count as neutral (the VADER convention for compound scores)."""


def sentiment_counts(scores: npt.ArrayLike, band: float = NEUTRAL_BAND) -> tuple[int, int, int]:
    """(positive, negative, total) over sentiment scores in [-1, 1]."""
    values = as_floats(scores)
    return int((values > band).sum()), int((values < -band).sum()), int(values.size)


def net_sentiment(positive: int, negative: int, total: int) -> float:
    """% positive - % negative, in percentage points within [-100, 100]; 0.0 with no items."""
    return 100.0 * safe_ratio(positive - negative, total)
