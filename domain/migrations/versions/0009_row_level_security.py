"""row-level security on every tenant table, and the application role townsquare_app

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-30 09:50:00

PostgreSQL only (SQLite has no row-level security; there this migration does nothing).

- The role `townsquare_app` (NOLOGIN; created when missing, kept on downgrade because roles
  belong to the whole cluster): reads and writes every table, owns none, has no BYPASSRLS, may
  not write `alembic_version`. Servers connect as it, or as a LOGIN role that is a member of
  it (README, "Running at scale"). Tables created by later migrations of the same migrating
  role get the same grants through default privileges.
- Every tenant table: ROW LEVEL SECURITY enabled and FORCEd (so the tables' owner is held too)
  with the policy `tenant_isolation` of domain/row_security.py. A later migration that adds a
  tenant table adds the same three statements for it; tests/integration/test_int_row_security.py
  fails until it does.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "townsquare_app"
POLICY = "tenant_isolation"
# The tenant tables at this revision; frozen, since later ones do not exist yet here.
TABLES = (
    "topic",
    "api_key",
    "community",
    "member",
    "member_interest",
    "membership",
    "follow",
    "content",
    "content_topic",
    "engagement",
    "domain_event",
    "webhook",
    "webhook_delivery",
    "idempotency_key",
    "community_daily",
    "member_activity_day",
    "membership_score",
    "orbit_change",
    "membership_influence",
    "mention",
    "mention_topic",
    "escalation",
    "escalation_change",
    "alert",
    "listening_settings",
    "campaign",
)
CONDITION = (
    "organization_id = NULLIF(current_setting('townsquare.organization_id', true), '')::bigint"
    " OR current_setting('townsquare.bypass_rls', true) = 'on'"
)

# Roles are shared by every database of the server: another database's migration may create
# it at the same moment, and a migrating role without CREATEROLE needs a clear instruction.
CREATE_ROLE = f"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
        BEGIN
            CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
        EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'the role {ROLE} is missing and this role may not create it'
                    USING HINT = 'As a superuser run: CREATE ROLE {ROLE} NOLOGIN;'
                                 ' then migrate again.';
        END;
    END IF;
END
$$
"""

GRANTS = f"""
DO $$
DECLARE
    here text := quote_ident(current_schema());
BEGIN
    EXECUTE 'GRANT USAGE ON SCHEMA ' || here || ' TO {ROLE}';
    EXECUTE 'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ' || here
        || ' TO {ROLE}';
    EXECUTE 'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ' || here || ' TO {ROLE}';
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA ' || here
        || ' GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {ROLE}';
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA ' || here
        || ' GRANT USAGE, SELECT ON SEQUENCES TO {ROLE}';
    REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {ROLE};
END
$$
"""

REVOKES = f"""
DO $$
DECLARE
    here text := quote_ident(current_schema());
BEGIN
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA ' || here || ' REVOKE ALL ON TABLES FROM {ROLE}';
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA ' || here
        || ' REVOKE ALL ON SEQUENCES FROM {ROLE}';
    EXECUTE 'REVOKE ALL ON ALL TABLES IN SCHEMA ' || here || ' FROM {ROLE}';
    EXECUTE 'REVOKE ALL ON ALL SEQUENCES IN SCHEMA ' || here || ' FROM {ROLE}';
    EXECUTE 'REVOKE USAGE ON SCHEMA ' || here || ' FROM {ROLE}';
END
$$
"""


def _postgres() -> bool:
    return bool(op.get_bind().dialect.name == "postgresql")


def upgrade() -> None:
    if not _postgres():
        return
    op.execute(CREATE_ROLE)
    op.execute(GRANTS)
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY {POLICY} ON {table} USING ({CONDITION}) WITH CHECK ({CONDITION})"
        )


def downgrade() -> None:
    if not _postgres():
        return
    for table in TABLES:
        op.execute(f"DROP POLICY IF EXISTS {POLICY} ON {table}")
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    # The role stays (other databases of the server may use it); this database forgets it.
    op.execute(REVOKES)
