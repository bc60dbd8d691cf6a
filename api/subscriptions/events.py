"""What travels from a committed write to a subscriber: a small, JSON-serialisable event."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

from domain.events import DomainEvent


@dataclass(frozen=True)
class LiveEvent:
    """One committed domain event, as every worker's subscribers receive it."""

    organization_id: int
    name: str
    subject_type: str | None = None
    subject_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    event_id: int | None = None

    @classmethod
    def from_domain(cls, event: DomainEvent) -> LiveEvent:
        return cls(
            organization_id=event.organization_id,
            name=event.name,
            subject_type=event.subject_type,
            subject_id=event.subject_id,
            payload=dict(event.payload or {}),
            event_id=event.id,
        )

    def encode(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def decode(cls, data: bytes | str) -> LiveEvent:
        fields: dict[str, Any] = orjson.loads(data)
        return cls(**fields)
