"""The `DateTime` scalar: ISO 8601 in UTC out; in, an explicit offset is required."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types.scalar import ScalarDefinition

from domain.timeutil import as_utc


def serialize_datetime(value: datetime) -> str:
    # Always UTC and always with microseconds: clients compare these strings.
    return as_utc(value).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("a DateTime is an ISO 8601 string such as 2024-05-01T12:00:00Z")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time") from error
    # A time without an offset is ambiguous; refusing it is clearer than guessing a zone.
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} needs a UTC offset, e.g. a trailing Z")
    return as_utc(parsed)


DateTime: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="An instant as an ISO 8601 string in UTC, e.g. 2024-05-01T12:00:00.000000Z.",
    serialize=serialize_datetime,
    parse_value=parse_datetime,
)
