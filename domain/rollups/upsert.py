"""Dialect-aware upserts: INSERT ... ON CONFLICT on both PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from domain.arrays import available, dialect_of, insert_unnest

Row = dict[str, Any]


def _insert(session: AsyncSession, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def add_to(
    session: AsyncSession,
    table: Table,
    keys: Sequence[str],
    rows: Sequence[Row],
    replaced: Sequence[str] = (),
) -> None:
    """Insert each row, or add its values to the row with the same key (`replaced` columns
    take the new value instead).

    The addition happens in the database (x = x + excluded.x), so concurrent writers never
    lose each other's increments: the second waits on the row lock and adds to the result.
    """
    if not rows:
        return
    fixed = {*keys, *replaced, "organization_id", "community_id"}
    counters = tuple(name for name in rows[0] if name not in fixed)
    statement = _adding(dialect_of(session), table, tuple(keys), counters, tuple(replaced))
    await session.execute(statement, list(rows))


@lru_cache(maxsize=64)
def _adding(
    dialect: str,
    table: Table,
    keys: tuple[str, ...],
    counters: tuple[str, ...],
    replaced: tuple[str, ...],
) -> Any:
    """The upsert of `add_to`, built once (its construction cost more than its execution)."""
    statement = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    changes = {name: table.c[name] + statement.excluded[name] for name in counters}
    changes.update({name: statement.excluded[name] for name in replaced})
    return statement.on_conflict_do_update(index_elements=list(keys), set_=changes)


async def insert_new(
    session: AsyncSession, table: Table, keys: Sequence[str], rows: Sequence[Row]
) -> list[tuple[Any, ...]]:
    """Insert the rows whose key is not there yet; the keys actually inserted."""
    if not rows:
        return []
    if available(session):
        return await insert_unnest(session, table, rows, conflict=keys, returning=keys)
    statement = (
        _insert(session, table).values(list(rows)).on_conflict_do_nothing(index_elements=list(keys))
    )
    returned = await session.execute(statement.returning(*(table.c[k] for k in keys)))
    return [tuple(row) for row in returned.all()]
