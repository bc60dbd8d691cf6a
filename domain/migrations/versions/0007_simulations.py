"""simulations requested over the API, walled by row-level security like every tenant table

Revision ID: 0007
Revises: 0009
Create Date: 2026-11-30 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil
from domain.tenant_walls import unwall, wall

revision: str = "0007"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = domain.timeutil.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "simulation",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("scenario", sa.String(length=64), nullable=False),
        sa.Column("strategies", sa.JSON(), nullable=False),
        sa.Column("seeds", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("base_seed", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("requested_by_key_id", _ID, nullable=True),
        sa.Column("runner", sa.String(length=200), nullable=True),
        sa.Column("heartbeat_at", _AT, nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("started_at", _AT, nullable=True),
        sa.Column("finished_at", _AT, nullable=True),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_simulation_org_id", "simulation", ["organization_id", "id"])
    op.create_index("ix_simulation_status", "simulation", ["status"])
    wall(["simulation"])


def downgrade() -> None:
    unwall(["simulation"])
    op.drop_index("ix_simulation_status", table_name="simulation")
    op.drop_index("ix_simulation_org_id", table_name="simulation")
    op.drop_table("simulation")
