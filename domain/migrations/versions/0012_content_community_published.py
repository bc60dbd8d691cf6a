"""content indexed by community and publication time, for the metrics' window counts

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 13:15:00

The metrics count a community's content published in a window, by topic; on PostgreSQL the
index also carries what that query filters on, so it is answered from the index alone.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_content_community_published",
        "content",
        ["community_id", "published_at", "id"],
        postgresql_include=["organization_id", "deleted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_content_community_published", table_name="content")
