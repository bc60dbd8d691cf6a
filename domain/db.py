"""Database engines and sessions: a SQLite file by default, PostgreSQL when configured."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import await_

from domain.audit import scope as audit
from domain.errors import Conflict, FieldProblem
from domain.events import HUB_KEY, EventHub, discard_pending, publish_committed
from domain.row_security import CROSS_TENANT, SCOPE_KEY, WallSession, bypass_on_connect

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///townsquare.db"
POOL_SIZE_VARIABLE = "TOWNSQUARE_DB_POOL_SIZE"
DEFAULT_POOL_SIZE = 10
RACE_MESSAGE = "another write changed the same data at the same time; try again"
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


def configured_url() -> str:
    """The database named by TOWNSQUARE_DATABASE_URL, or the default SQLite file."""
    return os.environ.get("TOWNSQUARE_DATABASE_URL") or DEFAULT_DATABASE_URL


def async_url(url: str) -> str:
    """The same database with an async driver: plain `postgresql://` becomes asyncpg."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if parsed.drivername in _ASYNC_DRIVERS.values() or backend not in _ASYNC_DRIVERS:
        return parsed.render_as_string(hide_password=False)
    if parsed.drivername == "postgresql+psycopg":
        # psycopg 3 is async too; keep it when it is asked for by name.
        return parsed.render_as_string(hide_password=False)
    return parsed.set(drivername=_ASYNC_DRIVERS[backend]).render_as_string(hide_password=False)


def configured_pool_size() -> int:
    """Connections each process keeps open (TOWNSQUARE_DB_POOL_SIZE), as many again in bursts."""
    text = os.environ.get(POOL_SIZE_VARIABLE, "").strip()
    if not text:
        return DEFAULT_POOL_SIZE
    size = int(text)
    if size < 1:
        raise ValueError(f"{POOL_SIZE_VARIABLE} must be at least 1, not {size}")
    return size


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; the busy timeout queues writers instead of failing.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def ping_on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """Check a pooled asyncpg connection before a session uses it, as pre-ping does.

    SQLAlchemy's pre-ping wraps its query in a transaction of its own (for PgBouncer's
    transaction mode): three round trips, half of a small request's. A statement without
    parameters goes by the simple query protocol, which prepares nothing and opens no
    transaction (safe under PgBouncer too), in one round trip. A dead connection raises
    DisconnectionError: the pool drops it and checks out another, as after a failed pre-ping.
    """
    try:
        await_(dbapi_connection.driver_connection.execute("SELECT 1"))
    except Exception as error:
        raise DisconnectionError(f"the pooled connection is gone: {error}") from error


def create_engine(
    url: str | None = None,
    *,
    pool_size: int | None = None,
    echo: bool = False,
    cross_tenant: bool = False,
) -> AsyncEngine:
    """An async engine for `url`, with SQLite pragmas or a sized PostgreSQL pool.

    `cross_tenant` engines pass PostgreSQL's row-level security for their whole life: only
    migrations, seeding and admin commands, which work on every organization, ask for one.
    """
    target = async_url(url or configured_url())
    pool_size = pool_size or configured_pool_size()
    if make_url(target).get_backend_name() == "sqlite":
        engine = create_async_engine(target, echo=echo)
        event.listen(engine.sync_engine, "connect", _enable_sqlite_pragmas)
        return engine
    # asyncpg connections are checked with one round trip (`ping_on_checkout`), not the three
    # of SQLAlchemy's pre-ping (BEGIN, a query, ROLLBACK); other drivers keep the pre-ping.
    asyncpg = make_url(target).get_driver_name() == "asyncpg"
    engine = create_async_engine(
        target, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=not asyncpg
    )
    if asyncpg:
        event.listen(engine.sync_engine.pool, "checkout", ping_on_checkout)
    if cross_tenant:
        event.listen(engine.sync_engine, "connect", bypass_on_connect)
    return engine


class Database:
    """One engine and its session factory, shared by a process.

    The server's database is tenant-scoped: each request's session names its organization
    (`session(organization_id=...)`), and only work that spans tenants on purpose asks for
    `session(cross_tenant=True)`. A command-line process that works on every organization opens
    `Database(cross_tenant=True)` instead. See domain/row_security.py.
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        pool_size: int | None = None,
        echo: bool = False,
        cross_tenant: bool = False,
    ) -> None:
        self.url = async_url(url or configured_url())
        self.engine = create_engine(
            self.url, pool_size=pool_size, echo=echo, cross_tenant=cross_tenant
        )
        # Every session carries the hub, so `transaction()` can announce what it committed.
        self.events = EventHub()
        self.sessions = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            info={HUB_KEY: self.events},
            sync_session_class=WallSession,
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def session(
        self, *, organization_id: int | None = None, cross_tenant: bool = False
    ) -> AsyncIterator[AsyncSession]:
        """A session for one organization's rows, for every organization's (`cross_tenant`),
        or, with neither, for whatever the engine's connections allow."""
        async with self.sessions() as session:
            if organization_id is not None:
                session.info[SCOPE_KEY] = organization_id
            elif cross_tenant:
                session.info[SCOPE_KEY] = CROSS_TENANT
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit what the block wrote, or roll all of it back: no partial writes.

    Inside an audited scope (`domain.audit.scope.audited`) the audit row of the action is
    added just before the commit, so it commits with the write or not at all.
    """
    if session.in_transaction():
        # Reads autobegin a transaction; a write must not inherit half of an older one.
        await session.commit()
    try:
        yield session
        await audit.stage(session)
        await session.commit()
    except IntegrityError as error:
        # Checks ran before the write; a constraint can still trip when two writes race.
        await _roll_back(session)
        raise Conflict([FieldProblem((), RACE_MESSAGE, "CONFLICT")]) from error
    except BaseException:
        await _roll_back(session)
        raise
    audit.settle(session, committed=True)
    await publish_committed(session)


async def _roll_back(session: AsyncSession) -> None:
    await session.rollback()
    discard_pending(session)
    audit.settle(session, committed=False)
