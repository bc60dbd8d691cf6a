"""The tenant wall as migrations build it: row-level security on new tenant tables.

Migration 0009 put every tenant table of its day behind one policy (see `domain/row_security.py`
for how requests pass it); each later migration that adds a tenant table puts it behind the same
policy with `wall`, and takes it down with `unwall`. The policy's text is frozen here, as of
0009, because migrations must build the same database whenever they run; a new policy would be a
new migration with its own text. Only PostgreSQL has row-level security: on SQLite these do
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from alembic import op

POLICY: Final = "tenant_isolation"
CONDITION: Final = (
    "organization_id = NULLIF(current_setting('townsquare.organization_id', true), '')::bigint"
    " OR current_setting('townsquare.bypass_rls', true) = 'on'"
)


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def wall(tables: Sequence[str]) -> None:
    """Enable and force row-level security on `tables`, with the tenant policy."""
    if not _postgres():
        return
    for table in tables:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} USING ({CONDITION}) WITH CHECK ({CONDITION})"
        )


def unwall(tables: Sequence[str]) -> None:
    """Drop the tenant policy of `tables` (their drop, if any, follows)."""
    if not _postgres():
        return
    for table in tables:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
