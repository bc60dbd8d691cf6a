"""Alembic migrations on real SQLite and PostgreSQL: up to head, down to base, schema = models."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table on the metadata)
from domain.db import Database
from domain.schema_version import (
    alembic_config,
    current_revision,
    downgrade,
    pending_migrations,
    upgrade,
)

_SCRIPTS = ScriptDirectory.from_config(alembic_config())
ALL_REVISIONS = [r.revision for r in reversed(list(_SCRIPTS.walk_revisions()))]
HEAD = ALL_REVISIONS[-1]


@pytest.fixture
async def empty_db(database_url: str) -> AsyncIterator[Database]:
    """A database with no tables at all, not even Alembic's."""
    database = Database(database_url, pool_size=2)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    yield database
    await database.dispose()


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


def test_the_migrations_form_one_line_with_a_single_head() -> None:
    assert _SCRIPTS.get_heads() == [HEAD]
    assert len(ALL_REVISIONS) == len({r.revision for r in _SCRIPTS.walk_revisions()})


async def test_an_empty_database_has_every_migration_pending(empty_db: Database) -> None:
    assert await current_revision(empty_db) is None
    assert await pending_migrations(empty_db) == ALL_REVISIONS


async def test_upgrading_to_head_creates_every_table_and_nothing_is_pending(
    empty_db: Database,
) -> None:
    await upgrade(empty_db)
    async with empty_db.engine.connect() as connection:
        tables = await connection.run_sync(_tables)
    assert set(SQLModel.metadata.tables) <= tables
    assert await pending_migrations(empty_db) == []
    assert await current_revision(empty_db) == HEAD


async def test_the_migrated_schema_equals_the_models(empty_db: Database) -> None:
    await upgrade(empty_db)
    async with empty_db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


async def test_downgrading_to_base_removes_every_table_and_upgrading_again_works(
    empty_db: Database,
) -> None:
    await upgrade(empty_db)
    await downgrade(empty_db, "base")
    async with empty_db.engine.connect() as connection:
        left = await connection.run_sync(_tables)
    assert left & set(SQLModel.metadata.tables) == set()
    assert await current_revision(empty_db) is None
    assert await pending_migrations(empty_db) == ALL_REVISIONS
    await upgrade(empty_db)
    assert await pending_migrations(empty_db) == []


async def test_upgrading_twice_changes_nothing(empty_db: Database) -> None:
    await upgrade(empty_db)
    await upgrade(empty_db)
    assert await current_revision(empty_db) == HEAD
