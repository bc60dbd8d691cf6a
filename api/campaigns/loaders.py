"""Loaders of campaigns and their tasks by id, and of each task's dependencies."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import alone, by_id
from domain.campaigns.tables import Campaign, CampaignTask

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class CampaignLoaders:
    campaigns: DataLoader[int, Campaign | None]
    tasks: DataLoader[int, CampaignTask | None]
    task_dependencies: DataLoader[int, list[int]]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> CampaignLoaders:
        tasks = services.tasks

        async def dependencies(ids: list[int]) -> Sequence[list[int]]:
            found = await alone(lock, tasks.dependencies, ids)
            return [found.get(i, []) for i in ids]

        return cls(
            campaigns=by_id(lock, services.campaigns.get_many),
            tasks=by_id(lock, tasks.get_many),
            task_dependencies=DataLoader(load_fn=dependencies),
        )
