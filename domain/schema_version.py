"""Alembic migrations driven from code: upgrade, downgrade, and whether any are pending."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from domain.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config that needs no alembic.ini: the scripts ship inside the package."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _on_connection(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    getattr(command, action)(config, revision)


async def upgrade(database: Database, revision: str = "head") -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_on_connection, "upgrade", revision)


async def downgrade(database: Database, revision: str) -> None:
    async with database.engine.begin() as connection:
        await connection.run_sync(_on_connection, "downgrade", revision)


def _pending(connection: Connection) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config())
    current: Any = MigrationContext.configure(connection).get_current_heads()
    heads = set(script.get_heads())
    if set(current) == heads:
        return []
    applied: set[str] = set()
    for revision in current:
        applied.update(r.revision for r in script.walk_revisions(base="base", head=revision))
    pending = [r.revision for r in script.walk_revisions() if r.revision not in applied]
    return list(reversed(pending))


async def pending_migrations(database: Database) -> list[str]:
    """Revisions not yet applied, oldest first; empty when the schema is current."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(_pending)


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        heads = await connection.run_sync(
            lambda c: MigrationContext.configure(c).get_current_heads()
        )
    return heads[0] if heads else None
