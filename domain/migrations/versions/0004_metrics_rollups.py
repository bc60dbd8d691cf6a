"""metrics: daily rollups, activity days, orbit love and history, influence; engagement weight

Revision ID: 0004
Revises: 0008
Create Date: 2026-11-23 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil

revision: str = "0004"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_AT = domain.timeutil.UTCDateTime(timezone=True)
_DAILY_COUNTS = (
    "posts", "replies", "views", "likes", "comments", "shares", "clicks",
)  # fmt: skip
_DAILY_MORE = (
    "active_members", "joins", "churns", "audience_delta", "positive_voices", "negative_voices",
    "voices", "questions",
)  # fmt: skip


def _org() -> sa.Column[int]:
    return sa.Column("organization_id", _ID, nullable=False)


def _fk(column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [target], ondelete="CASCADE")


def upgrade() -> None:
    op.add_column(
        "engagement",
        sa.Column("quality_weight", sa.Float(), server_default="0", nullable=False),
    )
    op.create_table(
        "community_daily",
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _org(),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _DAILY_COUNTS),
        sa.Column("quality_weighted", sa.Float(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _DAILY_MORE),
        _fk("community_id", "community.id"),
        _fk("organization_id", "organization.id"),
        sa.PrimaryKeyConstraint("community_id", "day"),
    )
    op.create_index("ix_community_daily_org_day", "community_daily", ["organization_id", "day"])
    op.create_table(
        "member_activity_day",
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _org(),
        _fk("community_id", "community.id"),
        _fk("member_id", "member.id"),
        _fk("organization_id", "organization.id"),
        sa.PrimaryKeyConstraint("community_id", "member_id", "day"),
    )
    op.create_index(
        "ix_member_activity_day_community_day",
        "member_activity_day",
        ["community_id", "day", "member_id"],
    )
    op.create_index(
        "ix_member_activity_day_org_day",
        "member_activity_day",
        ["organization_id", "day", "member_id"],
    )
    op.create_table(
        "membership_score",
        sa.Column("membership_id", _ID, nullable=False),
        _org(),
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("presence", sa.Float(), nullable=False),
        sa.Column("commitment", sa.Float(), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        _fk("membership_id", "membership.id"),
        _fk("organization_id", "organization.id"),
        _fk("community_id", "community.id"),
        sa.PrimaryKeyConstraint("membership_id"),
    )
    op.create_index(
        "ix_membership_score_community", "membership_score", ["community_id", "membership_id"]
    )
    op.create_table(
        "orbit_change",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("membership_id", _ID, nullable=False),
        sa.Column("from_level", sa.SmallInteger(), nullable=False),
        sa.Column("to_level", sa.SmallInteger(), nullable=False),
        sa.Column("changed_at", _AT, nullable=False),
        _fk("organization_id", "organization.id"),
        _fk("community_id", "community.id"),
        _fk("membership_id", "membership.id"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_orbit_change_community_at", "orbit_change", ["community_id", "changed_at"])
    op.create_index("ix_orbit_change_org", "orbit_change", ["organization_id"])
    op.create_table(
        "membership_influence",
        sa.Column("membership_id", _ID, nullable=False),
        _org(),
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("member_id", _ID, nullable=False),
        sa.Column("reach", sa.Float(), nullable=False),
        sa.Column("quality", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("computed_at", _AT, nullable=False),
        _fk("membership_id", "membership.id"),
        _fk("organization_id", "organization.id"),
        _fk("community_id", "community.id"),
        _fk("member_id", "member.id"),
        sa.PrimaryKeyConstraint("membership_id"),
    )
    op.create_index(
        "ix_membership_influence_rank",
        "membership_influence",
        ["community_id", "score", "membership_id"],
    )
    op.create_index("ix_membership_influence_org", "membership_influence", ["organization_id"])


def downgrade() -> None:
    for table in (
        "membership_influence",
        "orbit_change",
        "membership_score",
        "member_activity_day",
        "community_daily",
    ):
        op.drop_table(table)
    with op.batch_alter_table("engagement") as batch:
        batch.drop_column("quality_weight")
