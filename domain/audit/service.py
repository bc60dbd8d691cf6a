"""Reading the audit log: one organization's entries, newest first, narrowed by a filter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.audit.tables import AuditEntry
from domain.pagination import Ordering, Page, PageRequest
from domain.repositories.base import TenantRepository
from domain.timeutil import as_utc

NEWEST_FIRST = Ordering((AuditEntry.id,), descending=True)


@dataclass(frozen=True)
class AuditFilter:
    """Entries to keep; `None` keeps all."""

    action: str | None = None
    actor_key_id: int | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


class AuditRepository(TenantRepository[AuditEntry]):
    model = AuditEntry

    def filtered(self, where: AuditFilter) -> Select[Any]:
        stmt = self.scoped()
        column = self._column
        for name in ("action", "actor_key_id", "target_type", "target_id"):
            value = getattr(where, name)
            if value is not None:
                stmt = stmt.where(column(name) == value)
        if where.since is not None:
            stmt = stmt.where(column("occurred_at") >= as_utc(where.since))
        if where.until is not None:
            stmt = stmt.where(column("occurred_at") < as_utc(where.until))
        return stmt


class AuditService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.repo = AuditRepository(session, organization_id)

    async def page(self, where: AuditFilter, request: PageRequest) -> Page[AuditEntry]:
        return await self.repo.page(self.repo.filtered(where), NEWEST_FIRST, request)

    async def total(self, where: AuditFilter) -> int:
        return await self.repo.count(self.repo.filtered(where))

    async def get_many(self, entry_ids: Sequence[int]) -> dict[int, AuditEntry]:
        return await self.repo.get_many(entry_ids)
