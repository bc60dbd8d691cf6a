"""Loaders for simulations."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import by_id
from domain.simulations.tables import Simulation

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class SimulationLoaders:
    simulations: DataLoader[int, Simulation | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> SimulationLoaders:
        return cls(simulations=by_id(lock, services.simulations.get_many))
