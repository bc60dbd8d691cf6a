"""Responsiveness KPIs: response rate, first response time and escalation SLA."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from domain.metrics.base import as_floats, safe_ratio


def response_rate(answered: int, needing_answer: int) -> float:
    """Share of complaints and questions answered, in [0, 1]."""
    return safe_ratio(answered, needing_answer)


def median_first_response_time(seconds: npt.ArrayLike) -> float | None:
    """Median seconds to first answer over answered items; None when nothing was answered.

    Unanswered items are not part of the median (they are counted by the response rate); NaN
    entries are treated as unanswered so callers can pass one column with gaps.
    """
    values = as_floats(seconds)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return None
    return float(np.median(values))


def escalations_within_target(
    response_seconds: npt.ArrayLike, target_seconds: npt.ArrayLike
) -> int:
    """Escalations whose first response came within their target; NaN (unanswered) misses."""
    responses = as_floats(response_seconds)
    targets = np.broadcast_to(as_floats(target_seconds), responses.shape)
    with np.errstate(invalid="ignore"):
        return int((responses <= targets).sum())


def escalation_sla(within_target: int, escalations: int) -> float:
    """Share of escalations answered within their target, in [0, 1]."""
    return safe_ratio(within_target, escalations)
