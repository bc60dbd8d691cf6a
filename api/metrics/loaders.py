"""Loaders for metrics: every community asking the same query shares one batch of statements."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strawberry.dataloader import DataLoader

from api.batching import alone
from domain.repositories.metrics import Scope
from domain.services.metrics import MetricsQuery, Report

if TYPE_CHECKING:
    from api.context import Services

ReportKey = tuple[Scope, int, MetricsQuery]


@dataclass(frozen=True)
class MetricsLoaders:
    reports: DataLoader[ReportKey, Report]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> MetricsLoaders:
        async def load(keys: list[ReportKey]) -> list[Report]:
            groups: dict[tuple[Scope, MetricsQuery], list[int]] = defaultdict(list)
            for scope, key, query in keys:
                groups[(scope, query)].append(key)
            found: dict[ReportKey, Report] = {}
            for (scope, query), ids in groups.items():
                reports = await alone(
                    lock, services.metrics.reports, scope, list(dict.fromkeys(ids)), query
                )
                for key in ids:
                    found[(scope, key, query)] = reports[key]
            return [found[key] for key in keys]

        return cls(reports=DataLoader(load_fn=load))


def _grouped(
    lock: asyncio.Lock, fetch: Callable[[list[int], Any], Awaitable[dict[int, Any]]], empty: Any
) -> DataLoader[tuple[Any, ...], Any]:
    """A loader keyed by (community id, *parameters): one call per distinct parameters."""

    async def load(keys: list[tuple[Any, ...]]) -> list[Any]:
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for key in keys:
            groups[key[1:]].append(key[0])
        found: dict[tuple[Any, ...], Any] = {}
        for parameters, ids in groups.items():
            results = await alone(lock, fetch, list(dict.fromkeys(ids)), parameters)
            for community_id in ids:
                found[(community_id, *parameters)] = results.get(community_id, empty)
        return [found[key] for key in keys]

    return DataLoader(load_fn=load)


@dataclass(frozen=True)
class InsightsLoaders:
    retention: DataLoader[tuple[Any, ...], Any]
    influencers: DataLoader[tuple[Any, ...], Any]
    orbit_flow: DataLoader[tuple[Any, ...], Any]
    orbit_levels: DataLoader[int, dict[int, int]]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> InsightsLoaders:
        insights = services.insights

        async def levels(ids: list[int]) -> list[dict[int, int]]:
            found = await alone(lock, insights.orbit_levels, ids)
            return [found.get(i, {}) for i in ids]

        return cls(
            retention=_grouped(lock, lambda ids, p: insights.retention(ids, p[0], p[1]), []),
            influencers=_grouped(lock, lambda ids, p: insights.influencers(ids, p[0]), []),
            orbit_flow=_grouped(lock, lambda ids, p: insights.orbit_flow(ids, p[0]), []),
            orbit_levels=DataLoader(load_fn=levels),
        )
