"""Queries over communities."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func
from sqlmodel import col

from domain.entities import Community
from domain.enums import CommunityOrder, Platform, Visibility
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository


@dataclass(frozen=True)
class CommunityFilter:
    """What the communities list may be narrowed by."""

    platform: Platform | None = None
    visibility: Visibility | None = None
    search: str | None = None
    include_archived: bool = False


_ORDER_COLUMNS = {
    CommunityOrder.CREATED_AT: Community.created_at,
    CommunityOrder.NAME: Community.name,
    CommunityOrder.UPDATED_AT: Community.updated_at,
}


def community_ordering(order: CommunityOrder, descending: bool) -> Ordering:
    return Ordering((_ORDER_COLUMNS[order], Community.id), descending)


class CommunityRepository(TenantRepository[Community]):
    model = Community

    def filtered(self, where: CommunityFilter) -> Select[Any]:
        stmt = self.scoped()
        if where.platform is not None:
            stmt = stmt.where(col(Community.platform) == where.platform.value)
        if where.visibility is not None:
            stmt = stmt.where(col(Community.visibility) == where.visibility.value)
        if where.search:
            pattern = "%" + _escape_like(where.search.lower()) + "%"
            stmt = stmt.where(func.lower(col(Community.name)).like(pattern, escape="\\"))
        if not where.include_archived:
            stmt = stmt.where(col(Community.archived_at).is_(None))
        return stmt

    async def list(
        self, where: CommunityFilter, ordering: Ordering, request: PageRequest
    ) -> Page[Community]:
        return await self.page(self.filtered(where), ordering, request)

    async def total(self, where: CommunityFilter) -> int:
        return await self.count(self.filtered(where))


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
