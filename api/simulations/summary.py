"""An experiment's result as the JSON stored on its simulation row, for a front end to draw.

Every KPI has a mean and 95% interval per strategy, and every pair of strategies a paired
difference (second minus first) with its interval. NaN (too few seeds, a KPI that never
happened) is stored as null: JSON has no NaN.
"""

from __future__ import annotations

import math
from typing import Any

from simulator.experiment import ExperimentResult
from simulator.stats import Interval


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def _interval(value: Interval) -> dict[str, Any]:
    return {
        "mean": _number(value.mean),
        "low": _number(value.low),
        "high": _number(value.high),
        "n": value.n,
    }


def summarize(result: ExperimentResult) -> dict[str, Any]:
    """{"kpis", "strategies", "estimates": [...], "differences": [...]} of an experiment."""
    estimates = [
        {"kpi": kpi, "strategy": strategy, **_interval(value)}
        for kpi, by_strategy in result.summary().items()
        for strategy, value in by_strategy.items()
    ]
    differences = [
        {
            "kpi": kpi,
            "baseline": baseline,
            "strategy": strategy,
            **_interval(value),
            "excludesZero": value.excludes_zero,
        }
        for (baseline, strategy), by_kpi in result.differences().items()
        for kpi, value in by_kpi.items()
    ]
    return {
        "kpis": result.kpis,
        "strategies": result.strategies,
        "estimates": estimates,
        "differences": differences,
    }
