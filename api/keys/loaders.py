"""Loaders of API keys by id (for `node(id:)`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import by_id
from domain.entities import ApiKey

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class ApiKeyLoaders:
    keys: DataLoader[int, ApiKey | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> ApiKeyLoaders:
        return cls(keys=by_id(lock, services.keys.get_many))
