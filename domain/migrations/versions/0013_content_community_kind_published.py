"""content indexed by community, kind and publication time, for the metrics' questions

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 13:20:00

The metrics read a community's questions published in a window. Prepared statements soon run
PostgreSQL's generic plan, which without this index chose the community's publication-time
index (0012) and visited every piece of content of the window to keep the questions.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_content_community_kind_published",
        "content",
        ["community_id", "kind", "published_at"],
        postgresql_include=["id", "organization_id", "deleted_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_content_community_kind_published", table_name="content")
