"""Collecting every problem with an input before refusing it, so callers see them all at once."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from domain.errors import FieldProblem, ValidationFailed

HANDLE_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


class Problems:
    """A list of field problems under a path prefix (e.g. `items.3` for a bulk item)."""

    def __init__(self, prefix: Sequence[str] = ()) -> None:
        self.prefix = tuple(prefix)
        self.items: list[FieldProblem] = []

    def add(self, field: str, message: str, code: str = "INVALID") -> None:
        self.items.append(FieldProblem((*self.prefix, field), message, code))

    def text(self, field: str, value: str | None, *, low: int, high: int) -> None:
        if value is None:
            return
        length = len(value.strip())
        if length < low:
            self.add(
                field,
                f"`{field}` must not be blank" if low == 1 else f"`{field}` is too short",
                "BLANK" if low == 1 else "TOO_SHORT",
            )
        elif len(value) > high:
            self.add(field, f"`{field}` must be at most {high} characters", "TOO_LONG")

    def within(self, field: str, value: float | None, low: float, high: float) -> None:
        if value is None:
            return
        if math.isnan(value) or not low <= value <= high:
            self.add(field, f"`{field}` must be between {low:g} and {high:g}", "OUT_OF_RANGE")

    def pattern(self, field: str, value: str | None, regex: re.Pattern[str], hint: str) -> None:
        if value is not None and not regex.fullmatch(value):
            self.add(field, f"`{field}` {hint}", "INVALID_FORMAT")

    def extend(self, other: Problems) -> None:
        self.items.extend(other.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)
