"""Loaders for the caller's organization and its topics."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from strawberry.dataloader import DataLoader

from api.batching import by_id
from domain.entities import Organization, Topic

if TYPE_CHECKING:
    from api.context import Services


@dataclass(frozen=True)
class OrganizationLoaders:
    organizations: DataLoader[int, Organization | None]
    topics: DataLoader[int, Topic | None]

    @classmethod
    def build(cls, services: Services, lock: asyncio.Lock) -> OrganizationLoaders:
        own = services.organization_id

        async def organizations(ids: Sequence[int]) -> dict[int, Organization]:
            # Only the caller's own organization exists as far as the caller can tell.
            if own not in ids:
                return {}
            found = await services.organizations.get(own)
            return {own: found} if found is not None else {}

        async def topics(ids: Sequence[int]) -> dict[int, Topic]:
            return await services.organizations.get_topics(own, ids)

        return cls(organizations=by_id(lock, organizations), topics=by_id(lock, topics))
