"""campaign tasks and their dependencies

Revision ID: 0005b
Revises: 0007
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil
from domain.tenant_walls import unwall, wall

revision: str = "0005b"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = domain.timeutil.UTCDateTime(timezone=True)
TENANT_TABLES = ("campaign_task", "campaign_task_dependency")


def upgrade() -> None:
    op.create_table(
        "campaign_task",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner_member_id", _ID, nullable=False),
        sa.Column("starts_at", _AT, nullable=False),
        sa.Column("due_at", _AT, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_campaign_task_campaign", "campaign_task", ["campaign_id", "starts_at", "id"]
    )
    op.create_table(
        "campaign_task_dependency",
        sa.Column("task_id", _ID, nullable=False),
        sa.Column("depends_on_id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["campaign_task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["depends_on_id"], ["campaign_task.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "depends_on_id"),
    )
    op.create_index("ix_campaign_task_dependency_on", "campaign_task_dependency", ["depends_on_id"])

    wall(TENANT_TABLES)


def downgrade() -> None:
    unwall(TENANT_TABLES)
    op.drop_index("ix_campaign_task_dependency_on", table_name="campaign_task_dependency")
    op.drop_table("campaign_task_dependency")
    op.drop_index("ix_campaign_task_campaign", table_name="campaign_task")
    op.drop_table("campaign_task")
