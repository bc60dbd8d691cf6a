"""webhook.version: webhookUpdate takes expectedVersion like every other update

Revision ID: 0010
Revises: 0006
Create Date: 2026-11-30 12:50:00

Existing webhooks start at version 1, as new rows do.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook") as batch:
        batch.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("webhook") as batch:
        batch.drop_column("version")
