"""The tenant-scoped repository every entity repository builds on."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, Table, bindparam, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, select

from domain.pagination import Ordering, Page, PageRequest, fetch_page, fetch_pages_by_parent

M = TypeVar("M", bound=SQLModel)


class TenantRepository(Generic[M]):
    """Reads and writes rows of `model` that belong to one organization, and no others."""

    model: type[M]

    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self) -> Select[Any]:
        stmt: Select[Any] = select(self.model).where(
            self._column("organization_id") == self.organization_id
        )
        return stmt

    def _column(self, name: str) -> Any:
        return getattr(self.model, name)

    async def get(self, row_id: int) -> M | None:
        rows = await self.get_many([row_id])
        return rows.get(row_id)

    async def get_many(self, row_ids: Sequence[int]) -> dict[int, M]:
        if not row_ids:
            return {}
        stmt = self.scoped().where(self._column("id").in_(set(row_ids)))
        rows = (await self.session.scalars(stmt)).all()
        return {row.id: row for row in rows}

    async def plain_by_id(self, row_ids: Sequence[int], live_only: bool = False) -> dict[int, Any]:
        """Rows by id as SQLAlchemy rows (attributes named as the entity's), for readers that
        only copy columns out: no entity is built, tracked or identity-mapped. `live_only`
        leaves soft-deleted rows out (tables with a `deleted_at`)."""
        if not row_ids:
            return {}
        table: Any = getattr(self.model, "__table__")  # noqa: B009  (SQLModel declares no type)
        values = {"organization_id": self.organization_id, "ids": list(set(row_ids))}
        rows = (await self.session.execute(by_id_statement(table, live_only), values)).all()
        return {row.id: row for row in rows}

    async def page(self, stmt: Select[Any], ordering: Ordering, request: PageRequest) -> Page[M]:
        return await fetch_page(self.session, stmt, ordering, request)

    async def pages_by_parent(
        self,
        stmt: Select[Any],
        parent: str,
        parent_ids: Sequence[int],
        ordering: Ordering,
        request: PageRequest,
        plain: bool = False,
    ) -> dict[int, Page[Any]]:
        return await fetch_pages_by_parent(
            self.session,
            self.model,
            stmt,
            self._column(parent),
            parent_ids,
            ordering,
            request,
            plain,
        )

    async def count(self, stmt: Select[Any]) -> int:
        counted = select(func.count()).select_from(stmt.order_by(None).subquery())
        return int((await self.session.execute(counted)).scalar_one())

    async def counts_by_parent(
        self,
        stmt: Select[Any],
        parent: str,
        parent_ids: Sequence[int],
        values: dict[str, Any] | None = None,
    ) -> dict[int, int]:
        """How many rows of `stmt` (run with `values`) each parent has."""
        column = self._column(parent)
        inner = stmt.where(column.in_(list(parent_ids))).order_by(None).subquery()
        grouped = select(inner.c[parent], func.count()).group_by(inner.c[parent])
        counts = dict.fromkeys(parent_ids, 0)
        for parent_id, count in (await self.session.execute(grouped, values or {})).all():
            counts[parent_id] = int(count)
        return counts

    def add(self, row: M) -> M:
        self.session.add(row)
        return row


@functools.cache
def by_id_statement(table: Table, live_only: bool) -> Select[Any]:
    """`table`'s rows of one organization by id, with the values as bound parameters.

    Built once per table (a bounded cache: one entry per table and flag) and run with the
    values: building a SELECT of every column cost more CPU than running it.
    """
    stmt: Select[Any] = select(*table.columns).where(
        table.c.organization_id == bindparam("organization_id"),
        table.c.id.in_(bindparam("ids", expanding=True)),
    )
    if live_only:
        stmt = stmt.where(table.c.deleted_at.is_(None))
    return stmt
