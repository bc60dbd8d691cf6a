"""Shared helpers for the KPI formulas: safe division and array coercion."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def safe_ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or 0.0 when the denominator is zero (an empty window)."""
    if denominator == 0:
        return 0.0
    return float(numerator) / float(denominator)


def as_floats(values: npt.ArrayLike) -> FloatArray:
    """A flat float64 copy of any array-like, so formulas accept lists, tuples and arrays."""
    return np.asarray(values, dtype=np.float64).ravel()


def as_flags(values: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """A flat boolean array of any array-like."""
    return np.asarray(values, dtype=np.bool_).ravel()
