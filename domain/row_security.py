"""PostgreSQL row-level security, the second wall between tenants: what a transaction tells it.

Migration 0009 puts one policy, `tenant_isolation`, on every tenant table: a row may be read
or written only when its `organization_id` equals the transaction's `townsquare.organization_id`
setting, or when the transaction set `townsquare.bypass_rls` to `on`. Connected as the
application role (`townsquare_app`: neither owner of the tables nor BYPASSRLS), a query that
forgot its `organization_id = ...` filter still sees one tenant, and a transaction that set
nothing sees no tenant row at all (an unset or reset setting reads as NULL, never an error).

A session says what it works for in `session.info[SCOPE_KEY]`: an organization id, or
`CROSS_TENANT` for the few jobs that legitimately span tenants (the key lookup that finds a
request's organization, the webhook dispatcher, the idempotency purge). `WallSession`'s
`after_begin` hook sends it with `set_config(name, value, true)` at the start of every
transaction, so the setting ends with the transaction and a pooled connection never carries one
request's tenant into the next. Command-line work (migrations, seeding, rollup rebuilds, admin
commands) opens a `Database(cross_tenant=True)`, whose connections bypass for their whole life.

SQLite has no row-level security; there nothing is sent and the first wall (every repository
filters by organization) stands alone.
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Final

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

APP_ROLE: Final = "townsquare_app"
POLICY_NAME: Final = "tenant_isolation"
ORGANIZATION_SETTING: Final = "townsquare.organization_id"
BYPASS_SETTING: Final = "townsquare.bypass_rls"
SCOPE_KEY: Final = "townsquare.rls_scope"

# The policy's condition, for USING and WITH CHECK alike. NULLIF: a custom setting that was set
# locally in an earlier transaction of the connection reads '' afterwards, and ''::bigint would
# raise; NULL makes the comparison unknown, so the row is simply not visible.
POLICY_CONDITION: Final = (
    f"organization_id = NULLIF(current_setting('{ORGANIZATION_SETTING}', true), '')::bigint"
    f" OR current_setting('{BYPASS_SETTING}', true) = 'on'"
)

_ANNOUNCE = text(
    f"SELECT set_config('{ORGANIZATION_SETTING}', :organization, true),"
    f" set_config('{BYPASS_SETTING}', :bypass, true)"
)


_EXEMPT = text("SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user")
_HELD_KEY = "townsquare.rls_held"


class CrossTenant(Enum):
    """The scope of work that spans tenants on purpose (see the module docstring)."""

    CROSS_TENANT = "cross-tenant"


CROSS_TENANT: Final = CrossTenant.CROSS_TENANT
Scope = int | CrossTenant


def settings_for(scope: Scope) -> dict[str, str]:
    """The two settings' values that grant `scope` and nothing more."""
    if scope is CROSS_TENANT:
        return {"organization": "", "bypass": "on"}
    return {"organization": str(int(scope)), "bypass": "off"}


class WallSession(Session):
    """The ORM session of every `Database`: each transaction tells PostgreSQL its tenant."""


def held(connection: Connection) -> bool:
    """Whether the policies hold this PostgreSQL connection's role; asked once per connection.

    A superuser or BYPASSRLS role (the test suite, a single-role deployment) passes them
    whatever it announces, so it is spared the round trip.
    """
    if connection.dialect.name != "postgresql":
        return False
    answer = connection.info.get(_HELD_KEY)
    if answer is None:
        answer = not connection.execute(_EXEMPT).scalar()
        connection.info[_HELD_KEY] = answer
    return bool(answer)


@event.listens_for(WallSession, "after_begin")
def _announce(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    scope: Scope | None = session.info.get(SCOPE_KEY)
    if scope is not None and held(connection):
        connection.execute(_ANNOUNCE, settings_for(scope))


async def enter(session: AsyncSession, scope: Scope) -> None:
    """From now on `session` works for `scope`, starting with the transaction already open."""
    session.info[SCOPE_KEY] = scope
    if not session.in_transaction():
        return  # the next transaction announces it as it begins
    connection = await session.connection()
    if await connection.run_sync(held):
        await connection.execute(_ANNOUNCE, settings_for(scope))


def bypass_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """A `connect` hook for cross-tenant engines: the bypass holds for the connection's life."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"SET {BYPASS_SETTING} = on")
    cursor.close()
    # The driver may have opened a transaction for the SET; a rollback would undo it.
    dbapi_connection.commit()
