"""Loaders of campaigns by id."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import by_id
from domain.campaigns.tables import Campaign

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class CampaignLoaders:
    campaigns: DataLoader[int, Campaign | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> CampaignLoaders:
        return cls(campaigns=by_id(lock, services.campaigns.get_many))
