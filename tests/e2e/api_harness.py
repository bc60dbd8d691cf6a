"""Shared pieces of the API's end-to-end tests: a migrated database, keys, an HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, select
from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table on the metadata)
from api.app import create_app
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.schema_version import upgrade
from domain.services.organizations import OrganizationService


async def migrated_database(url: str) -> Database:
    """An empty database at `url`, built by the migrations as production builds it."""
    database = Database(url, pool_size=5)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    await upgrade(database)
    return database


@dataclass
class Tenant:
    organization_id: int
    key: str


async def tenant(database: Database, slug: str) -> Tenant:
    async with database.session() as session:
        service = OrganizationService(session)
        organization = await service.create(slug, slug.title())
        assert organization.id is not None
        issued = await service.issue_key(organization.id, ApiKeyRole.OWNER)
    return Tenant(organization.id, issued.secret)


class Api:
    """A GraphQL client over ASGI, speaking as one tenant's key."""

    def __init__(self, client: httpx.AsyncClient, key: str | None) -> None:
        self.client = client
        self.key = key

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"} if self.key else {}

    async def post(self, query: str, **variables: Any) -> dict[str, Any]:
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=self.headers()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        """The data of a query that must succeed."""
        body = await self.post(query, **variables)
        assert "errors" not in body, body["errors"]
        result: dict[str, Any] = body["data"]
        return result


@pytest.fixture
async def api_db(database_url: str) -> AsyncIterator[Database]:
    database = await migrated_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def http(api_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield client


@pytest.fixture
async def acme(api_db: Database) -> Tenant:
    return await tenant(api_db, "acme")


@pytest.fixture
def api(http: httpx.AsyncClient, acme: Tenant) -> Api:
    return Api(http, acme.key)


async def row_counts(database: Database) -> dict[str, int]:
    """How many rows each table holds: a write that should not happen shows up here."""
    counts = {}
    async with database.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            counts[table.name] = (
                await session.execute(select(func.count()).select_from(table))
            ).scalar_one()
    return counts


@contextmanager
def counting_statements(database: Database) -> Iterator[list[str]]:
    """Every SQL statement sent to the database inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
