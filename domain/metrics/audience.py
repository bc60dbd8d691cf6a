"""Audience KPIs: audience size, active members, stickiness, retention and churn."""

from __future__ import annotations

import numpy.typing as npt

from domain.metrics.base import as_flags, as_floats, safe_ratio


def audience_size(active_at_end: npt.ArrayLike) -> int:
    """Members whose membership is active at the end of the window (one flag per membership)."""
    return int(as_flags(active_at_end).sum())


def active_members(engagements_per_member: npt.ArrayLike) -> int:
    """Members with any engagement in the window (one engagement count per member)."""
    return int((as_floats(engagements_per_member) > 0).sum())


def stickiness(daily_active: npt.ArrayLike, monthly_active: float) -> float:
    """DAU / MAU: mean daily active members over the window's monthly active members, in [0, 1].

    daily_active holds one count per day of the window; monthly_active counts distinct members
    active at any time in the 30-day window.
    """
    days = as_floats(daily_active)
    if days.size == 0:
        return 0.0
    return min(1.0, safe_ratio(float(days.mean()), monthly_active))


def retention(cohort_size: int, still_active: int) -> float:
    """Share of a join cohort still active after N days, in [0, 1]."""
    return safe_ratio(still_active, cohort_size)


def churn_count(churned_per_day: npt.ArrayLike) -> int:
    """Memberships lost in the window; additive over disjoint windows."""
    return int(as_floats(churned_per_day).sum())


def churn_rate(lost: int, audience_at_start: int) -> float:
    """Memberships lost in the window as a share of the audience at its start."""
    return safe_ratio(lost, audience_at_start)
