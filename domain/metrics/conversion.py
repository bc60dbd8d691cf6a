"""Conversion KPIs: conversion count and value, ROI and time to payback."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.metrics.base import as_floats, safe_ratio


def conversion_totals(values: npt.ArrayLike) -> tuple[int, float]:
    """(count, total value) over conversion values; additive over disjoint windows."""
    array = as_floats(values)
    return int(array.size), float(array.sum())


def roi(value: float, cost: float) -> float:
    """Value / cost of the campaign or window; 0.0 when nothing was spent."""
    return safe_ratio(value, cost)


def payback_index(daily_value: npt.ArrayLike, daily_cost: npt.ArrayLike) -> int | None:
    """Index of the first period where cumulative value reaches cumulative cost, else None."""
    value = np.cumsum(as_floats(daily_value))
    cost = np.cumsum(as_floats(daily_cost))
    reached = np.flatnonzero((value >= cost) & (cost > 0))
    return int(reached[0]) if reached.size else None
