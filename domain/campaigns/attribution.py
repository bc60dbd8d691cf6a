"""Attribution: crediting a conversion's value to the content a member engaged with before it.

Pure functions over the member's touches (engagements) in the lookback window:
- last touch gives the whole value to the content of the latest touch;
- linear splits it evenly over every touch, then sums per content.
Both hand out exactly the conversion's value (the last share takes the rounding remainder).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.enums import AttributionModel


@dataclass(frozen=True, order=True)
class Touch:
    """One engagement of the converting member: when, and on which content."""

    occurred_at: datetime
    engagement_id: int
    content_id: int


@dataclass(frozen=True)
class Credit:
    content_id: int
    touches: int
    credit: float


def last_touch(touches: Sequence[Touch], value: float) -> list[Credit]:
    if not touches:
        return []
    latest = max(touches)
    return [Credit(latest.content_id, 1, value)]


def linear(touches: Sequence[Touch], value: float) -> list[Credit]:
    if not touches:
        return []
    share = value / len(touches)
    counts: dict[int, int] = {}
    for touch in sorted(touches):
        counts[touch.content_id] = counts.get(touch.content_id, 0) + 1
    credits = [Credit(content_id, n, share * n) for content_id, n in counts.items()]
    # Floating shares may miss the value by an ulp or so; the last content takes the rest.
    head = math.fsum(c.credit for c in credits[:-1])
    last = credits[-1]
    credits[-1] = Credit(last.content_id, last.touches, value - head)
    return credits


MODELS = {AttributionModel.LAST_TOUCH: last_touch, AttributionModel.LINEAR: linear}


def attribute(model: AttributionModel, touches: Sequence[Touch], value: float) -> list[Credit]:
    return MODELS[model](touches, value)
