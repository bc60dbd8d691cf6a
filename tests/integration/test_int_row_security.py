"""PostgreSQL row-level security, the second wall between tenants (migration 0009), in SQL.

PostgreSQL only: SQLite has no row-level security, so these tests skip there and say why. The
suite connects as `postgres` (a superuser, whom policies never hold); these tests act as the
application role with `SET LOCAL ROLE townsquare_app`, or connect as a login member of it, so
nothing else in the suite runs under the policies.

Every tenant table gets one row of each of two organizations, written generically from the
catalog (a placeholder value per column type, foreign-key triggers off), so a tenant table added
later is covered without touching this file.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table on the metadata)
from domain import row_security
from domain.bulk import insert_rows
from domain.db import Database
from domain.entities import Topic
from domain.row_security import APP_ROLE, POLICY_NAME
from domain.schema_version import upgrade
from domain.tables import TENANT_TABLES

pytestmark = pytest.mark.postgres

SKIP_REASON = (
    "row-level security exists only on PostgreSQL; set TOWNSQUARE_TEST_DATABASE_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run these tests"
)
# A login member of the application role, as production connects (README, Running at scale).
LOGIN_ROLE = "townsquare_app_wall_test"
PLACEHOLDERS = {
    "smallint": "{org}",
    "integer": "{org}",
    "bigint": "{org}",
    "double precision": "0.5",
    "boolean": "false",
    "timestamp with time zone": "now()",
    "date": "current_date",
    "json": "'{{}}'::json",
    "jsonb": "'{{}}'::jsonb",
    "bytea": "'\\x00'::bytea",
    "text": "'wall-{org}'",
}


@dataclass(frozen=True)
class Walled:
    database: Database
    a: int
    b: int


def _postgres_url() -> str:
    url = os.environ.get("TOWNSQUARE_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("TOWNSQUARE_REQUIRE_POSTGRES"):
            pytest.fail("TOWNSQUARE_REQUIRE_POSTGRES is set but " + SKIP_REASON)
        pytest.skip(SKIP_REASON)
    return url


async def _placeholder_row(connection: AsyncConnection, table: str, org: int) -> str:
    """INSERT of one row of `table` for `org`: every required column gets a placeholder."""
    columns = await connection.execute(
        text(
            "SELECT column_name, data_type, character_maximum_length FROM information_schema"
            ".columns WHERE table_schema = current_schema() AND table_name = :table"
            " AND is_nullable = 'NO' AND column_default IS NULL"
        ),
        {"table": table},
    )
    names, values = [], []
    for name, data_type, length in columns:
        if name == "organization_id":
            value = str(org)
        elif data_type == "character varying":
            value = f"left('wall-{table}-{org}', {length or 200})"
        else:
            value = PLACEHOLDERS[data_type].format(org=org)
        names.append(f'"{name}"')
        values.append(value)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(values)})"


async def _organization(connection: AsyncConnection, org_hint: int) -> int:
    insert = await _placeholder_row(connection, "organization", org_hint)
    return int((await connection.execute(text(insert + " RETURNING id"))).scalar_one())


@pytest.fixture
async def migrated() -> AsyncIterator[Database]:
    """The PostgreSQL test database built by the migrations, as production builds it."""
    database = Database(_postgres_url(), pool_size=2)
    async with database.engine.begin() as connection:
        await connection.run_sync(SQLModel.metadata.drop_all)
        await connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    await upgrade(database)
    yield database
    await database.dispose()


@pytest.fixture
async def walled(migrated: Database) -> Walled:
    """Two organizations with one row in every tenant table each, written as the superuser."""
    async with migrated.engine.begin() as connection:
        # Placeholder references point nowhere; the rules under test do not read them.
        await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
        a = await _organization(connection, 1001)
        b = await _organization(connection, 1002)
        for table in TENANT_TABLES:
            for org in (a, b):
                await connection.execute(text(await _placeholder_row(connection, table, org)))
    return Walled(migrated, a, b)


async def _as_app(connection: AsyncConnection, organization: int | None) -> None:
    await connection.exec_driver_sql(f"SET LOCAL ROLE {APP_ROLE}")
    if organization is not None:
        await connection.execute(
            text("SELECT set_config('townsquare.organization_id', :org, true)"),
            {"org": str(organization)},
        )


async def _count(connection: AsyncConnection, table: str, org: int | None = None) -> int:
    where = "" if org is None else f" WHERE organization_id = {int(org)}"
    return int((await connection.execute(text(f"SELECT count(*) FROM {table}{where}"))).scalar())


async def test_every_table_with_an_organization_column_is_walled_by_the_tenant_policy(
    migrated: Database,
) -> None:
    async with migrated.engine.connect() as connection:
        with_org = set(
            (
                await connection.execute(
                    text(
                        "SELECT table_name FROM information_schema.columns"
                        " WHERE table_schema = current_schema() AND column_name = 'organization_id'"
                    )
                )
            ).scalars()
        )
        flags: dict[str, bool] = dict(
            (
                await connection.execute(
                    text(
                        "SELECT relname, relrowsecurity AND relforcerowsecurity FROM pg_class"
                        " WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r'"
                    )
                )
            ).all()  # type: ignore[arg-type]
        )
        policies = (
            await connection.execute(
                text(
                    "SELECT tablename, policyname, cmd, roles::text[], qual, with_check"
                    " FROM pg_policies WHERE schemaname = current_schema()"
                )
            )
        ).all()
    assert with_org == set(TENANT_TABLES), "a table with organization_id is not in TENANT_TABLES"
    unwalled = sorted(t for t in TENANT_TABLES if not flags.get(t))
    assert unwalled == [], f"row-level security is not enabled and forced on {unwalled}"
    by_table = {row.tablename: row for row in policies}
    assert len(policies) == len(by_table), "a tenant table has more than one policy"
    assert sorted(by_table) == sorted(TENANT_TABLES), "a tenant table has no policy"
    reference = by_table["topic"]
    for table, policy in by_table.items():
        assert (policy.policyname, policy.cmd, policy.roles) == (POLICY_NAME, "ALL", ["public"])
        assert (policy.qual, policy.with_check) == (reference.qual, reference.qual), table
    assert "townsquare.organization_id" in reference.qual
    assert "townsquare.bypass_rls" in reference.qual


async def test_the_application_role_owns_nothing_and_cannot_bypass_the_policies(
    migrated: Database,
) -> None:
    async with migrated.engine.connect() as connection:
        role = (
            await connection.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role"),
                {"role": APP_ROLE},
            )
        ).one()
        owned = (
            await connection.execute(
                text("SELECT tablename FROM pg_tables WHERE tableowner = :role"),
                {"role": APP_ROLE},
            )
        ).all()
        privileges = (
            await connection.execute(
                text(
                    "SELECT has_table_privilege(:role, 'engagement', 'SELECT,INSERT,UPDATE,DELETE')"
                    ","
                    " has_table_privilege(:role, 'engagement', 'TRUNCATE'),"
                    " has_table_privilege(:role, 'alembic_version', 'UPDATE')"
                ),
                {"role": APP_ROLE},
            )
        ).one()
    assert tuple(role) == (False, False)
    assert owned == []
    # TRUNCATE ignores row-level security, and the schema version is the migrations' business.
    assert tuple(privileges) == (True, False, False)


async def test_with_organization_a_set_the_app_role_sees_no_row_of_b_in_any_tenant_table(
    walled: Walled,
) -> None:
    async with walled.database.engine.begin() as connection:
        await _as_app(connection, walled.a)
        seen = {table: await _count(connection, table) for table in TENANT_TABLES}
        seen_b = {table: await _count(connection, table, walled.b) for table in TENANT_TABLES}
    assert seen == dict.fromkeys(TENANT_TABLES, 1)
    assert seen_b == dict.fromkeys(TENANT_TABLES, 0)


async def test_the_app_role_cannot_write_rows_of_another_organization_in_any_tenant_table(
    walled: Walled,
) -> None:
    refused: dict[str, list[str]] = {}
    for table in TENANT_TABLES:
        async with walled.database.engine.connect() as connection:
            insert = await _placeholder_row(connection, table, walled.b)
        attempts = {
            "insert": insert,
            "move": f"UPDATE {table} SET organization_id = {walled.b}",
        }
        for name, statement in attempts.items():
            async with walled.database.engine.connect() as connection:
                await connection.begin()
                await _as_app(connection, walled.a)
                with pytest.raises(DBAPIError) as caught:
                    await connection.exec_driver_sql(statement)
                await connection.rollback()
            if "row-level security" in str(caught.value):
                refused.setdefault(table, []).append(name)
        async with walled.database.engine.begin() as connection:
            await _as_app(connection, walled.a)
            of_b = f"WHERE organization_id = {walled.b}"
            updated = await connection.exec_driver_sql(
                f"UPDATE {table} SET organization_id = organization_id {of_b}"
            )
            deleted = await connection.exec_driver_sql(f"DELETE FROM {table} {of_b}")
            assert (updated.rowcount, deleted.rowcount) == (0, 0), table
    assert refused == {table: ["insert", "move"] for table in TENANT_TABLES}
    async with walled.database.engine.connect() as connection:
        assert [await _count(connection, t, walled.b) for t in TENANT_TABLES] == [1] * len(
            TENANT_TABLES
        )


async def test_with_nothing_set_the_app_role_sees_no_tenant_row_and_nothing_errs(
    walled: Walled,
) -> None:
    async with walled.database.engine.connect() as connection:
        async with connection.begin():
            await _as_app(connection, None)
            fresh = [await _count(connection, table) for table in TENANT_TABLES]
            # What a health check reads still answers.
            assert (await connection.exec_driver_sql("SELECT 1")).scalar() == 1
            assert await _count(connection, "organization") == 2
        async with connection.begin():
            await _as_app(connection, walled.a)
        # The same connection after a transaction that set the organization locally: the
        # setting now reads '' rather than missing, which must still mean "nobody".
        async with connection.begin():
            await _as_app(connection, None)
            after = [await _count(connection, table) for table in TENANT_TABLES]
    assert fresh == [0] * len(TENANT_TABLES)
    assert after == [0] * len(TENANT_TABLES)


async def test_only_the_bypass_setting_lets_a_cross_tenant_job_see_every_organization(
    walled: Walled,
) -> None:
    async with walled.database.engine.begin() as connection:
        await _as_app(connection, None)
        await connection.exec_driver_sql("SELECT set_config('townsquare.bypass_rls', 'yes', true)")
        not_quite = await _count(connection, "engagement")
        await connection.exec_driver_sql("SELECT set_config('townsquare.bypass_rls', 'on', true)")
        every = [await _count(connection, table) for table in TENANT_TABLES]
    assert not_quite == 0
    assert every == [2] * len(TENANT_TABLES)


# ------------------------------------------------------------------------------------------
# The application's side: sessions announce their organization in every transaction
# ------------------------------------------------------------------------------------------


@pytest.fixture
async def app_url(walled: Walled) -> str:
    """A URL that logs in as a member of the application role, as a production server does."""
    async with walled.database.engine.begin() as connection:
        await connection.exec_driver_sql(
            f"DO $$ BEGIN CREATE ROLE {LOGIN_ROLE} LOGIN IN ROLE {APP_ROLE};"
            " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    return make_url(_postgres_url()).set(username=LOGIN_ROLE).render_as_string(False)


async def _topics(database: Database, **scope: object) -> list[int]:
    async with database.session(**scope) as session:  # type: ignore[arg-type]
        rows = await session.execute(text("SELECT organization_id FROM topic ORDER BY 1"))
        first = list(rows.scalars())
        await session.commit()
        # A second transaction of the same session must carry the same scope.
        again = list((await session.execute(text("SELECT organization_id FROM topic"))).scalars())
    assert sorted(again) == first
    return first


async def test_a_scoped_session_sees_its_organization_in_every_transaction(
    walled: Walled, app_url: str
) -> None:
    database = Database(app_url, pool_size=2)
    try:
        assert await _topics(database, organization_id=walled.a) == [walled.a]
        assert await _topics(database, organization_id=walled.b) == [walled.b]
        assert await _topics(database) == []
        assert await _topics(database, cross_tenant=True) == sorted([walled.a, walled.b])
        # The pool hands the same connection back: nothing of an earlier scope lingers.
        assert await _topics(database) == []
    finally:
        await database.dispose()


async def test_entering_an_organization_mid_transaction_narrows_the_open_transaction(
    walled: Walled, app_url: str
) -> None:
    database = Database(app_url, pool_size=1)
    try:
        async with database.session(cross_tenant=True) as session:
            every = (await session.execute(text("SELECT count(*) FROM member"))).scalar()
            await row_security.enter(session, walled.b)
            narrowed = list(
                (await session.execute(text("SELECT organization_id FROM member"))).scalars()
            )
        assert (every, narrowed) == (2, [walled.b])
    finally:
        await database.dispose()


async def test_a_cross_tenant_database_bypasses_on_every_connection(
    walled: Walled, app_url: str
) -> None:
    database = Database(app_url, pool_size=1, cross_tenant=True)
    try:
        async with database.engine.connect() as connection:
            assert await _count(connection, "content") == 2
        async with database.session() as session:
            assert (await session.execute(text("SELECT count(*) FROM content"))).scalar() == 2
    finally:
        await database.dispose()


async def test_the_bulk_writer_inserts_row_by_row_where_row_security_forbids_copy(
    walled: Walled, app_url: str
) -> None:
    # PostgreSQL refuses COPY FROM into a table whose policies hold the role, even when they
    # would let every row through; a seed run as the application role must still work.
    database = Database(app_url, pool_size=1, cross_tenant=True)
    now = datetime.now(UTC)
    columns = {
        "organization_id": [walled.a, walled.b],
        "slug": ["bulk-a", "bulk-b"],
        "name": ["Bulk A", "Bulk B"],
        "keywords": [[], []],
        "strategic": [False, False],
        "advantage": [0.0, 0.0],
        "created_at": [now, now],
    }
    try:
        async with database.engine.begin() as connection:
            await insert_rows(connection, Topic.__table__, columns)  # type: ignore[arg-type]
    finally:
        await database.dispose()
    async with walled.database.engine.connect() as connection:
        assert await _count(connection, "topic") == 4
