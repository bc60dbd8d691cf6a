"""Shared fixtures: real databases (a SQLite file always, PostgreSQL when CI names one), and a
real HTTP receiver for webhooks."""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table on the metadata)
from domain.db import Database

POSTGRES_URL_VARIABLE = "TOWNSQUARE_TEST_DATABASE_URL"
POSTGRES_SKIP_REASON = (
    f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test); .ci/run sets it"
)


def postgres_url() -> str | None:
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """A URL of an empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/townsquare-test.db"
    url = postgres_url()
    if url is None:
        if os.environ.get("TOWNSQUARE_REQUIRE_POSTGRES"):
            pytest.fail("TOWNSQUARE_REQUIRE_POSTGRES is set but " + POSTGRES_SKIP_REASON)
        pytest.skip(POSTGRES_SKIP_REASON)
    return url


@pytest.fixture
def sqlite_url(tmp_path: os.PathLike[str]) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/townsquare-test.db"


async def fresh_database(url: str) -> Database:
    """A Database at `url` with every table dropped and created again."""
    database = Database(url, pool_size=5)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        await connection.run_sync(SQLModel.metadata.create_all)
    return database


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """A fresh schema on SQLite, and on PostgreSQL when one is configured."""
    database = await fresh_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """A fresh SQLite database, for tests whose rule does not depend on the engine."""
    database = await fresh_database(sqlite_url)
    yield database
    await database.dispose()


# ------------------------------------------------------------------------------------------
# A real HTTP receiver on loopback, for webhook deliveries
# ------------------------------------------------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """An HTTP server in a thread that records each POST and answers `statuses` in turn."""

    url: str
    requests: list[Received] = field(default_factory=list)
    # Answers for the first requests; later ones get `then`.
    statuses: list[int] = field(default_factory=list)
    then: int = 200

    def answer(self) -> int:
        return self.statuses.pop(0) if self.statuses else self.then


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            state.requests.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.answer()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ------------------------------------------------------------------------------------------
# "fuzz cases run": the fuzz tests (tests/e2e/test_fuzz_graphql.py) record how many requests
# each sent as the user property `fuzz_cases`; the summary sums them where CI's log shows it.
# ------------------------------------------------------------------------------------------


def pytest_terminal_summary(terminalreporter: Any) -> None:
    counts: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            for name, value in getattr(report, "user_properties", ()):
                if name == "fuzz_cases":
                    counts[report.nodeid] = value
    if counts:
        terminalreporter.section("fuzz cases run")
        for nodeid, count in sorted(counts.items()):
            terminalreporter.write_line(f"{count:6d}  {nodeid}")
        terminalreporter.write_line(f"{sum(counts.values()):6d}  in all")
