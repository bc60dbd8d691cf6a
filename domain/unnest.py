"""Many rows in one PostgreSQL statement: `INSERT ... SELECT * FROM unnest(<one array a column>)`.

A multi-row VALUES list, or SQLAlchemy's executemany, binds every value of every row as a
parameter of its own: the statement is compiled again for each number of rows and each value
goes through SQLAlchemy's per-parameter machinery. With one array a column the text is the same
whatever the number of rows, so SQLAlchemy compiles it once and asyncpg prepares it once, and
the values travel as arrays. Other databases keep the ordinary statements (`domain.rollups.upsert`
and the repositories choose).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

Rows = Sequence[dict[str, Any]]
_DIALECT = postgresql.dialect()  # type: ignore[no-untyped-call]


def available(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@lru_cache(maxsize=64)
def _statement(
    table: Table, names: tuple[str, ...], conflict: tuple[str, ...], returning: tuple[str, ...]
) -> TextClause:
    quote = _DIALECT.identifier_preparer.quote
    arrays = ", ".join(
        f"CAST(:{name} AS {table.c[name].type.compile(dialect=_DIALECT)}[])" for name in names
    )
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"SELECT * FROM unnest({arrays})"
    )
    if conflict:
        sql += f" ON CONFLICT ({', '.join(quote(n) for n in conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(quote(n) for n in returning)}"
    return text(sql)


def _arrays(
    session: AsyncSession, table: Table, names: Sequence[str], rows: Rows
) -> dict[str, Any]:
    """Each column's values, bound as an ordinary insert would bind them (aware UTC times)."""
    dialect = session.get_bind().dialect
    arrays: dict[str, Any] = {}
    for name in names:
        values = [row[name] for row in rows]
        processor = table.c[name].type.bind_processor(dialect)
        arrays[name] = values if processor is None else [processor(v) for v in values]
    return arrays


async def insert_unnest(
    session: AsyncSession,
    table: Table,
    rows: Rows,
    *,
    conflict: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert `rows` (every row has the first's keys) on PostgreSQL; with `conflict`, skip the
    rows whose key is already there. The `returning` columns of the rows inserted."""
    if not rows:
        return []
    names = tuple(rows[0])
    statement = _statement(table, names, tuple(conflict), tuple(returning))
    result = await session.execute(statement, _arrays(session, table, names, rows))
    return [tuple(row) for row in result.all()] if returning else []
