"""Windows and buckets of whole UTC days: what a metrics query covers and how series split it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from domain.errors import ValidationFailed
from domain.timeutil import as_utc
from domain.validation import Problems

MAX_WINDOW_DAYS = 3 * 366
"""The longest window a query may cover (three years of days)."""


class Granularity(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True, order=True)
class Window:
    """The UTC days from `first` to `last`, both included."""

    first: date
    last: date

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @classmethod
    def between(cls, start: datetime, end: datetime, field: str = "window") -> Window:
        """The days a [start, end) interval touches; an end at midnight excludes that day."""
        start, end = as_utc(start), as_utc(end)
        problems = Problems()
        if end <= start:
            problems.add(f"{field}.to", "`to` must come after `from`", "OUT_OF_RANGE")
            problems.raise_if_any()
        window = cls(start.date(), (end - timedelta(microseconds=1)).date())
        if window.days > MAX_WINDOW_DAYS:
            message = f"a window covers at most {MAX_WINDOW_DAYS} days"
            raise ValidationFailed.single(f"{field}.to", message, "OUT_OF_RANGE")
        return window

    def trailing(self, days: int) -> Window:
        """The last `days` days of this window (all of it when it is shorter)."""
        return Window(max(self.first, self.last - timedelta(days=days - 1)), self.last)

    def buckets(self, granularity: Granularity) -> list[Window]:
        """Consecutive buckets covering the window: days, ISO weeks or calendar months, clipped."""
        buckets, start = [], self.first
        while start <= self.last:
            end = min(_bucket_end(start, granularity), self.last)
            buckets.append(Window(start, end))
            start = end + timedelta(days=1)
        return buckets


def _bucket_end(day: date, granularity: Granularity) -> date:
    if granularity is Granularity.DAY:
        return day
    if granularity is Granularity.WEEK:
        return day + timedelta(days=6 - day.weekday())
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)
