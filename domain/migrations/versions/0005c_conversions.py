"""conversions and their stored attribution credits

Revision ID: 0005c
Revises: 0005b
Create Date: 2026-11-30 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil
from domain.tenant_walls import unwall, wall

revision: str = "0005c"
down_revision: str | None = "0005b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = domain.timeutil.UTCDateTime(timezone=True)
TENANT_TABLES = ("conversion", "conversion_attribution")


def upgrade() -> None:
    op.create_table(
        "conversion",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("external_id", sa.String(length=200), nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("occurred_at", _AT, nullable=False),
        sa.Column("lookback_days", sa.Integer(), nullable=False),
        sa.Column("created_at", _AT, nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "external_id", name="uq_conversion_org_external"),
    )
    op.create_index("ix_conversion_member_occurred", "conversion", ["member_id", "occurred_at"])
    op.create_table(
        "conversion_attribution",
        sa.Column("id", _ID, nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("conversion_id", _ID, nullable=False),
        sa.Column("model", sa.String(length=32), nullable=False),
        sa.Column("content_id", _ID, nullable=False),
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=True),
        sa.Column("touches", sa.Integer(), nullable=False),
        sa.Column("credit", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["conversion_id"], ["conversion.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaign.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_conversion_attribution_conversion", "conversion_attribution", ["conversion_id"]
    )
    op.create_index(
        "ix_conversion_attribution_campaign", "conversion_attribution", ["campaign_id", "model"]
    )
    op.create_index(
        "ix_conversion_attribution_community",
        "conversion_attribution",
        ["community_id", "model"],
    )

    wall(TENANT_TABLES)


def downgrade() -> None:
    unwall(TENANT_TABLES)
    for name in (
        "ix_conversion_attribution_community",
        "ix_conversion_attribution_campaign",
        "ix_conversion_attribution_conversion",
    ):
        op.drop_index(name, table_name="conversion_attribution")
    op.drop_table("conversion_attribution")
    op.drop_index("ix_conversion_member_occurred", table_name="conversion")
    op.drop_table("conversion")
