"""Bulk inserts of plain rows: COPY on PostgreSQL, driver-level executemany on SQLite.

`insert_rows` takes rows already resolved to ids, as columns (one list per column), and picks
the fastest path the connection allows:
- PostgreSQL through asyncpg: the binary COPY protocol (`copy_records_to_table`) on the
  connection's own driver connection, so it runs inside the caller's transaction; when
  row-level security holds the role (which forbids COPY FROM), batched INSERTs;
- SQLite (and any other driver): one `executemany` of tuples straight to the driver, skipping
  SQLAlchemy's per-row statement handling;
- `method="executemany"`: SQLAlchemy's `insert()` executemany, the baseline the benchmark
  compares against.

Inside `bulk_mode` on PostgreSQL, a table that is empty when its first rows arrive by COPY is
loaded the way pg_restore loads one: its secondary indexes are dropped, the rows copied, and
the indexes built again once at the end of the bulk write, in the same transaction.

Values go through each column type's bind processor first, so what lands in the table is
exactly what an ordinary insert would have stored (e.g. UTC datetimes on SQLite).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Table, insert, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from domain.timeutil import UTCDateTime

if TYPE_CHECKING:
    from domain.db import Database

WriteMethod = Literal["bulk", "executemany"]
Columns = dict[str, list[Any]]
SQLITE_BULK_CACHE_KIB = 256 * 1024
# Memory for each index build at the end of a bulk write: a sort that fits in memory instead of
# spilling to disk (PostgreSQL's default is 64MB). Per build, not shared, and only for the
# length of the seed transaction.
INDEX_BUILD_MEMORY = "512MB"
_DEFERRED_KEY = "townsquare.bulk.deferred_indexes"


def sqlite_utc_text(value: datetime | None) -> str | None:
    """What SQLAlchemy stores on SQLite for a UTCDateTime: naive UTC text with microseconds.

    The same text as the type's own bind processor, which goes through two conversions and
    a format of a dict per value: on a seed's million timestamps, the largest CPU cost of
    the whole write.
    """
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(" ", "microseconds")


def postgresql_utc(value: datetime | None) -> datetime | None:
    """What a UTCDateTime binds on PostgreSQL: an aware UTC datetime (naive taken as UTC)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_UTC_PROCESSORS: dict[str, Callable[[Any], Any]] = {
    "sqlite": sqlite_utc_text,
    "postgresql": postgresql_utc,
}


def _processor(table: Table, name: str, dialect: Dialect) -> Callable[[Any], Any] | None:
    column_type = table.c[name].type
    if isinstance(column_type, UTCDateTime) and dialect.name in _UTC_PROCESSORS:
        return _UTC_PROCESSORS[dialect.name]
    processor: Callable[[Any], Any] | None = column_type.dialect_impl(dialect).bind_processor(
        dialect
    )
    return processor


def bound_tuples(table: Table, columns: Columns, dialect: Dialect) -> list[tuple[Any, ...]]:
    """Rows as tuples in the order of `columns`, each value processed for `dialect`."""
    processed = []
    for name, values in columns.items():
        processor = _processor(table, name, dialect)
        processed.append(values if processor is None else list(map(processor, values)))
    return list(zip(*processed, strict=True))


def _asyncpg_connection(raw: Any) -> Any | None:
    driver = getattr(raw, "driver_connection", None)
    return driver if type(driver).__module__.startswith("asyncpg") else None


async def _copy(connection: AsyncConnection, table: Table, columns: Columns) -> bool:
    raw = await connection.get_raw_connection()
    driver = _asyncpg_connection(raw)
    if driver is None or await _row_security_active(connection, table):
        return False
    await defer_indexes(connection, table)
    records = bound_tuples(table, columns, connection.dialect)
    await driver.copy_records_to_table(table.name, records=records, columns=list(columns))
    return True


async def _row_security_active(connection: AsyncConnection, table: Table) -> bool:
    """Whether row-level security holds this role on `table` (migration 0009): PostgreSQL
    refuses COPY FROM then, even when the policy would let every row through."""
    active = await connection.scalar(
        text("SELECT row_security_active(:table)"), {"table": table.name}
    )
    return bool(active)


@dataclass
class _DeferredIndexes:
    """The indexes a bulk write dropped, to build again before it ends."""

    seen: set[str] = field(default_factory=set)
    definitions: list[tuple[str, str]] = field(default_factory=list)  # (table, definition)


# A table's secondary indexes: neither unique (the writer and its callers may rely on unique
# keys holding row by row) nor backing a constraint (primary keys, exclusion constraints).
_SECONDARY_INDEXES = text(
    """
    SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
    FROM pg_index AS i
    WHERE i.indrelid = CAST(:table AS regclass)
      AND NOT i.indisunique AND NOT i.indisprimary
      AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = i.indexrelid)
    ORDER BY i.indexrelid
    """
)


async def defer_indexes(connection: AsyncConnection, table: Table) -> None:
    """Drop `table`'s secondary indexes if a bulk write is loading it from empty.

    Called by COPY, and by writers that fill a table with `INSERT ... SELECT` inside
    `bulk_mode` (the seed's rollups); outside `bulk_mode` it does nothing.

    Maintaining an index row by row costs a random page visit per row and key (the engagement
    table's three random-key indexes were most of the server's time); one sorted build at the
    end costs a fraction of that. Only for a table empty when its first rows arrive: one that
    holds other organizations' rows would be re-indexed whole for one organization's seed.
    A concurrent writer cannot slip rows past: DROP INDEX waits for its exclusive lock, and
    the build indexes whatever the table holds. The drop, the copies and the build share the
    caller's transaction, so a failed seed rolls back to the old indexes. The definitions are
    the database's own (`pg_get_indexdef`), so names, columns, INCLUDE lists and predicates
    come back exactly as they were.
    """
    deferred: _DeferredIndexes | None = connection.info.get(_DEFERRED_KEY)
    if deferred is None or table.name in deferred.seen:
        return
    deferred.seen.add(table.name)
    quote = connection.dialect.identifier_preparer.quote
    if await connection.scalar(text(f"SELECT EXISTS (SELECT 1 FROM {quote(table.name)})")):
        return
    indexes = (await connection.execute(_SECONDARY_INDEXES, {"table": table.name})).all()
    if not indexes:
        return
    try:
        # Only the table's owner may drop its indexes; any other role loads with them in place.
        async with connection.begin_nested():
            for name, _ in indexes:
                await connection.exec_driver_sql(f"DROP INDEX {name}")
    except DBAPIError:
        return
    deferred.definitions.extend((table.name, definition) for _, definition in indexes)


async def build_deferred_indexes(connection: AsyncConnection, later: Sequence[Table] = ()) -> None:
    """Build now the indexes `bulk_mode` dropped so far, for a bulk write about to read the
    tables it loaded (by their indexes); tables loaded after this are deferred again. The
    indexes of the tables in `later` wait for the end of `bulk_mode` (tables the write is
    about to update row by row, read by their unique keys only)."""
    deferred: _DeferredIndexes | None = connection.info.get(_DEFERRED_KEY)
    if deferred is not None:
        await _build_deferred_indexes(connection, deferred, {table.name for table in later})


async def _build_deferred_indexes(
    connection: AsyncConnection, deferred: _DeferredIndexes, later: set[str] | None = None
) -> None:
    now = [(table, d) for table, d in deferred.definitions if table not in (later or set())]
    if not now:
        return
    await connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY}'")
    for _, definition in now:
        await connection.exec_driver_sql(definition)
    deferred.definitions = [entry for entry in deferred.definitions if entry not in now]


async def _driver_executemany(connection: AsyncConnection, table: Table, columns: Columns) -> None:
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in columns)
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
    await connection.exec_driver_sql(sql, bound_tuples(table, columns, dialect))


def _as_dicts(columns: Columns) -> list[dict[str, Any]]:
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


async def insert_rows(
    connection: AsyncConnection,
    table: Table,
    columns: Columns,
    method: WriteMethod = "bulk",
) -> None:
    """Insert the rows held in `columns` (equal-length lists) into `table`."""
    if not columns or not next(iter(columns.values())):
        return
    if method == "executemany":
        await connection.execute(insert(table), _as_dicts(columns))
        return
    if connection.dialect.name == "postgresql":
        if await _copy(connection, table, columns):
            return
        # Another PostgreSQL driver (psycopg), or a role held by row-level security (no COPY):
        # SQLAlchemy's batched executemany is the fast path left.
        await connection.execute(insert(table), _as_dicts(columns))
        return
    await _driver_executemany(connection, table, columns)


async def _skip_reference_checks(connection: AsyncConnection) -> bool:
    """On PostgreSQL, stop firing foreign-key triggers until the transaction ends, if allowed.

    Foreign-key checks cost ~90% of a COPY into tables with two references (one index probe
    and row lock per reference per row). The writer only inserts rows that reference rows of
    the same new organization it wrote before them in this transaction, so the checks cannot
    fail. `session_replication_role` needs a superuser, or on PostgreSQL 15+ a role granted
    `SET ON PARAMETER session_replication_role`; without it the checks simply stay on.
    """
    try:
        async with connection.begin_nested():
            await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except DBAPIError:
        return False
    return True


@asynccontextmanager
async def bulk_mode(connection: AsyncConnection) -> AsyncIterator[None]:
    """Settings for one bulk write inside the caller's transaction, undone afterwards.

    SQLite: a large page cache. Random index keys (members, content) touch pages all over each
    index; with SQLite's default 2 MiB cache every insert reads and evicts them, which halves
    the insert speed. PostgreSQL: no foreign-key triggers when the role may turn them off;
    tables loaded from empty get their secondary indexes built once, at the end (see
    `defer_indexes`); and the commit does not wait for the WAL flush.

    If the block raises, nothing more is run: the transaction is failing, and its rollback
    restores the dropped indexes and the settings.
    """
    if connection.dialect.name == "postgresql":
        skipped = await _skip_reference_checks(connection)
        # Safe for a bulk write: a server crash just after the commit can lose the transaction,
        # but only whole (never part of it, and nothing else: the setting ends with it), and a
        # lost seed is simply run again.
        await connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        deferred = _DeferredIndexes()
        connection.info[_DEFERRED_KEY] = deferred
        try:
            yield
        finally:
            connection.info.pop(_DEFERRED_KEY, None)
        # Only after a block that succeeded: after an error the transaction is failing (any
        # statement would raise over the error), and its rollback undoes settings and drops.
        await _build_deferred_indexes(connection, deferred)
        if skipped:
            await connection.exec_driver_sql("SET LOCAL session_replication_role = origin")
        return
    if connection.dialect.name != "sqlite":
        yield
        return
    before = await connection.exec_driver_sql("PRAGMA cache_size")
    previous = int(before.scalar_one())
    await connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        await connection.exec_driver_sql(f"PRAGMA cache_size={previous}")


def columns_of(rows: Sequence[dict[str, Any]]) -> Columns:
    """The rows' values column by column (every row has the first row's keys)."""
    if not rows:
        return {}
    return {name: [row[name] for row in rows] for name in rows[0]}


async def refresh_statistics(database: Database) -> None:
    """Let the query planner see what a bulk write added (`ANALYZE`).

    After a million rows arrive by COPY the planner still believes the tables small until
    autovacuum comes round, and picks plans for small tables: on the metrics benchmark it
    scanned the organization's whole activity index instead of the community's range, several
    times slower. SQLite's planner reads the same statistics from `sqlite_stat1`.
    """
    async with database.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.exec_driver_sql("ANALYZE")
