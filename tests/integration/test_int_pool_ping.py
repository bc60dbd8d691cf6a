"""The check of a pooled PostgreSQL connection before a session uses it (`ping_on_checkout`).

PostgreSQL only: SQLite connections are files, never dropped by a server.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from domain.db import Database
from tests.conftest import POSTGRES_SKIP_REASON, postgres_url

pytestmark = pytest.mark.postgres


@pytest.fixture
async def database() -> Database:
    url = postgres_url()
    if url is None:
        pytest.skip(POSTGRES_SKIP_REASON)
    return Database(url, pool_size=1)


async def backend_of(database: Database) -> int:
    async with database.session() as session:
        return int((await session.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def test_a_pooled_connection_the_server_dropped_is_replaced_before_a_session_uses_it(
    database: Database,
) -> None:
    dropped = await backend_of(database)
    other = Database(database.url, pool_size=1)
    try:
        async with other.session() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        replaced = await backend_of(database)
    finally:
        await other.dispose()
        await database.dispose()
    assert replaced != dropped


async def test_the_check_leaves_the_connection_outside_any_transaction(
    database: Database,
) -> None:
    await backend_of(database)
    try:
        async with database.engine.connect() as connection:
            raw = await connection.get_raw_connection()
            assert raw.driver_connection is not None
            in_transaction = raw.driver_connection.is_in_transaction()
    finally:
        await database.dispose()
    assert in_transaction is False
