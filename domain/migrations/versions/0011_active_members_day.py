"""active members per community and day as Roaring bitmaps, filled from member_activity_day

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 13:00:00

A window's distinct active members becomes the size of the union of its days' bitmaps instead
of a count(DISTINCT) over every member-day of the window. The table is derived: the upgrade
fills it from the existing `member_activity_day` rows (as `townsquare rollups rebuild` would).
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from alembic import op
from pyroaring import BitMap64

from domain.tenant_walls import unwall, wall

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_BATCH = 1000


def upgrade() -> None:
    table = op.create_table(
        "active_members_day",
        sa.Column("community_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("members", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["community.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("community_id", "day"),
    )
    op.create_index(
        "ix_active_members_day_org_day", "active_members_day", ["organization_id", "day"]
    )
    wall(["active_members_day"])
    batch: list[dict[str, Any]] = []
    for row in _bitmaps():
        batch.append(row)
        if len(batch) == _BATCH:
            op.get_bind().execute(table.insert(), batch)
            batch = []
    if batch:
        op.get_bind().execute(table.insert(), batch)


def _bitmaps() -> Iterator[dict[str, Any]]:
    """One row per (community, day) of member_activity_day, community by community."""
    bind = op.get_bind()
    communities = bind.execute(sa.text("SELECT DISTINCT community_id FROM member_activity_day"))
    for (community_id,) in communities.all():
        rows = bind.execute(
            sa.text(
                "SELECT organization_id, day, member_id FROM member_activity_day"
                " WHERE community_id = :community"
            ),
            {"community": community_id},
        )
        days: defaultdict[tuple[int, Any], list[int]] = defaultdict(list)
        for organization_id, day, member_id in rows.all():
            days[(organization_id, day)].append(member_id)
        for (organization_id, day), members in sorted(days.items()):
            yield {
                "community_id": community_id,
                "day": day if isinstance(day, date) else date.fromisoformat(day),
                "organization_id": organization_id,
                "members": bytes(BitMap64(members).serialize()),
            }


def downgrade() -> None:
    unwall(["active_members_day"])
    op.drop_index("ix_active_members_day_org_day", table_name="active_members_day")
    op.drop_table("active_members_day")
