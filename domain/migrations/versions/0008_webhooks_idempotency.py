"""webhooks, their delivery log and dispatch mark; idempotency keys

Revision ID: 0008
Revises: 0002
Create Date: 2026-11-23 19:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import domain.timeutil

revision: str = "0008"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, domain.timeutil.UTCDateTime(timezone=True), nullable=nullable)


def _org() -> sa.Column[object]:
    return sa.Column("organization_id", _ID, nullable=False)


def _org_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "webhook",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _org_fk(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_org_id", "webhook", ["organization_id", "id"])
    op.create_table(
        "webhook_delivery",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("webhook_id", _ID, nullable=False),
        sa.Column("event_id", _ID, nullable=False),
        sa.Column("event_name", sa.String(length=64), nullable=False),
        sa.Column("delivery_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at", nullable=True),
        sa.Column("claim_token", sa.String(length=64), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("last_duration_ms", sa.Integer(), nullable=True),
        _at("last_attempt_at", nullable=True),
        _at("delivered_at", nullable=True),
        _at("created_at"),
        _org_fk(),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhook.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["event_id"], ["domain_event.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id", "event_id", name="uq_webhook_delivery_event"),
        sa.UniqueConstraint("delivery_key"),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["status", "next_attempt_at"])
    op.create_index("ix_webhook_delivery_webhook", "webhook_delivery", ["webhook_id", "id"])
    op.create_table(
        "webhook_dispatch_mark",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", _ID, nullable=False),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "idempotency_key",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_content_type", sa.String(length=200), nullable=True),
        sa.Column("response_body", sa.LargeBinary(), nullable=True),
        _at("created_at"),
        _at("completed_at", nullable=True),
        _org_fk(),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "key", name="uq_idempotency_key_org_key"),
    )
    op.create_index("ix_idempotency_key_created_at", "idempotency_key", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
    op.drop_table("webhook_dispatch_mark")
    op.drop_index("ix_webhook_delivery_webhook", table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_index("ix_webhook_org_id", table_name="webhook")
    op.drop_table("webhook")
