"""Relationship KPIs: love (presence and commitment) and trust, averaged over members."""

from __future__ import annotations

import numpy.typing as npt

from domain.metrics.base import as_floats


def _mean(values: npt.ArrayLike) -> float:
    array = as_floats(values)
    return float(array.mean()) if array.size else 0.0


def average_love(love: npt.ArrayLike) -> float:
    """Mean love over the given members' love scores in [0, 1]; 0.0 for nobody."""
    return _mean(love)


def average_trust(trust: npt.ArrayLike) -> float:
    """Mean trust over the given members' trust scores in [0, 1]; 0.0 for nobody."""
    return _mean(trust)
