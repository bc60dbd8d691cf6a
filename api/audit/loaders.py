"""Loaders of audit entries by id (for `node(id:)`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import by_id
from domain.audit.tables import AuditEntry

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class AuditLoaders:
    entries: DataLoader[int, AuditEntry | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> AuditLoaders:
        return cls(entries=by_id(lock, services.audit.get_many))
