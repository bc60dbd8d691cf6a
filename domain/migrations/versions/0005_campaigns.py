"""campaigns, and content's campaign, schedule and approval columns

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-30 09:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = domain.timeutil.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("objective_kpi", sa.String(length=64), nullable=False),
        sa.Column("objective_target", sa.Float(), nullable=False),
        sa.Column("objective_due", _AT, nullable=False),
        sa.Column("topic_ids", sa.JSON(), nullable=False),
        sa.Column("budget", sa.Float(), nullable=False),
        sa.Column("starts_at", _AT, nullable=False),
        sa.Column("ends_at", _AT, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("closed_at", _AT, nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_campaign_org_created", "campaign", ["organization_id", "created_at", "id"])
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("scheduled_at", _AT, nullable=True))
        batch_op.add_column(sa.Column("submitted_by_key_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("reviewed_by_key_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("rejection_reason", sa.String(length=2000), nullable=True))
        batch_op.create_foreign_key(
            "fk_content_campaign_id", "campaign", ["campaign_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            "fk_content_submitted_by_key_id",
            "api_key",
            ["submitted_by_key_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            "fk_content_reviewed_by_key_id",
            "api_key",
            ["reviewed_by_key_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_content_campaign_created", ["campaign_id", "created_at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_content_status_scheduled", ["status", "scheduled_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("content", schema=None) as batch_op:
        batch_op.drop_index("ix_content_status_scheduled")
        batch_op.drop_index("ix_content_campaign_created")
        batch_op.drop_constraint("fk_content_reviewed_by_key_id", type_="foreignkey")
        batch_op.drop_constraint("fk_content_submitted_by_key_id", type_="foreignkey")
        batch_op.drop_constraint("fk_content_campaign_id", type_="foreignkey")
        batch_op.drop_column("rejection_reason")
        batch_op.drop_column("reviewed_by_key_id")
        batch_op.drop_column("submitted_by_key_id")
        batch_op.drop_column("scheduled_at")
        batch_op.drop_column("campaign_id")
    op.drop_index("ix_campaign_org_created", table_name="campaign")
    op.drop_table("campaign")
