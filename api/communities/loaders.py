"""Loaders for communities."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import by_id
from domain.entities import Community

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class CommunityLoaders:
    communities: DataLoader[int, Community | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> CommunityLoaders:
        return cls(communities=by_id(lock, services.communities.get_many))
