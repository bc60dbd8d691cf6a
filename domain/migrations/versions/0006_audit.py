"""audit log: one row per mutation, committed with its write

Revision ID: 0006
Revises: 0005c
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil
from domain.tenant_walls import unwall, wall

revision: str = "0006"
down_revision: str | None = "0005c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = domain.timeutil.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("actor_key_id", _ID, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_type", sa.String(length=64), nullable=True),
        sa.Column("target_id", _ID, nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("occurred_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_entry_org_id", "audit_entry", ["organization_id", "id"])
    op.create_index("ix_audit_entry_org_action", "audit_entry", ["organization_id", "action", "id"])
    wall(["audit_entry"])


def downgrade() -> None:
    unwall(["audit_entry"])
    op.drop_index("ix_audit_entry_org_action", table_name="audit_entry")
    op.drop_index("ix_audit_entry_org_id", table_name="audit_entry")
    op.drop_table("audit_entry")
