"""listening: mentions, escalations with history, snowball alerts, listening settings

Revision ID: 0003
Revises: 0004
Create Date: 2026-11-23 19:45:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import domain.timeutil

revision: str = "0003"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, nullable: bool = False) -> "sa.Column[Any]":
    return sa.Column(name, domain.timeutil.UTCDateTime(timezone=True), nullable=nullable)


def _org() -> "sa.Column[Any]":
    return sa.Column("organization_id", _ID, nullable=False)


def _org_fk() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["organization_id"], ["organization.id"], ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "mention",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("author_member_id", _ID, nullable=True),
        sa.Column("author_handle", sa.String(length=200), nullable=False),
        sa.Column("author_followers", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=5000), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("sentiment", sa.Float(), nullable=False),
        sa.Column("reach", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("priority", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("assignee_member_id", _ID, nullable=True),
        sa.Column("response_text", sa.String(length=5000), nullable=True),
        _at("responded_at", True),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        _at("occurred_at"),
        _at("created_at"),
        _at("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        _org_fk(),
        sa.ForeignKeyConstraint(["author_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_mention_org_occurred", "mention", ["organization_id", "occurred_at", "id"])
    op.create_index(
        "ix_mention_org_status_occurred",
        "mention",
        ["organization_id", "status", "occurred_at", "id"],
    )
    op.create_table(
        "mention_topic",
        sa.Column("mention_id", _ID, nullable=False),
        sa.Column("topic_id", _ID, nullable=False),
        _org(),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"], ondelete="CASCADE"),
        _org_fk(),
        sa.PrimaryKeyConstraint("mention_id", "topic_id"),
    )
    op.create_index("ix_mention_topic_topic", "mention_topic", ["topic_id", "mention_id"])
    op.create_table(
        "escalation",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("mention_id", _ID, nullable=True),
        sa.Column("content_id", _ID, nullable=True),
        sa.Column("assignee_member_id", _ID, nullable=True),
        sa.Column("priority", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=2000), nullable=False),
        sa.Column("target_seconds", sa.Integer(), nullable=False),
        _at("due_at"),
        _at("first_response_at", True),
        sa.Column("first_response_seconds", sa.Float(), nullable=True),
        _at("resolved_at", True),
        _at("created_at"),
        _at("updated_at"),
        sa.Column("version", sa.Integer(), nullable=False),
        _org_fk(),
        sa.ForeignKeyConstraint(["mention_id"], ["mention.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["content_id"], ["content.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["assignee_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_escalation_org_created", "escalation", ["organization_id", "created_at", "id"]
    )
    op.create_index("ix_escalation_assignee_status", "escalation", ["assignee_member_id", "status"])
    op.create_index("ix_escalation_mention", "escalation", ["mention_id"])
    op.create_table(
        "escalation_change",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("escalation_id", _ID, nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("assignee_member_id", _ID, nullable=True),
        sa.Column("actor_key_id", _ID, nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        _at("occurred_at"),
        _org_fk(),
        sa.ForeignKeyConstraint(["escalation_id"], ["escalation.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["assignee_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["actor_key_id"], ["api_key.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_escalation_change_escalation", "escalation_change", ["escalation_id", "id"])
    op.create_table(
        "alert",
        sa.Column("id", _ID, nullable=False),
        _org(),
        sa.Column("topic_id", _ID, nullable=False),
        sa.Column("open_topic_id", _ID, nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("window_count", sa.Integer(), nullable=False),
        sa.Column("baseline_per_window", sa.Float(), nullable=False),
        sa.Column("ratio", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        _at("raised_at"),
        _at("last_seen_at"),
        _at("ended_at", True),
        _org_fk(),
        sa.ForeignKeyConstraint(["topic_id"], ["topic.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("organization_id", "open_topic_id", name="uq_alert_open_topic"),
    )
    op.create_index("ix_alert_org_raised", "alert", ["organization_id", "raised_at", "id"])
    op.create_table(
        "listening_settings",
        sa.Column("organization_id", _ID, nullable=False),
        sa.Column("snowball_window_minutes", sa.Integer(), nullable=False),
        sa.Column("snowball_baseline_days", sa.Integer(), nullable=False),
        sa.Column("snowball_ratio", sa.Float(), nullable=False),
        sa.Column("snowball_min_count", sa.Integer(), nullable=False),
        sa.Column("target_seconds_low", sa.Integer(), nullable=False),
        sa.Column("target_seconds_normal", sa.Integer(), nullable=False),
        sa.Column("target_seconds_high", sa.Integer(), nullable=False),
        sa.Column("target_seconds_urgent", sa.Integer(), nullable=False),
        _at("updated_at"),
        _org_fk(),
        sa.PrimaryKeyConstraint("organization_id"),
    )


def downgrade() -> None:
    op.drop_table("listening_settings")
    op.drop_index("ix_alert_org_raised", table_name="alert")
    op.drop_table("alert")
    op.drop_index("ix_escalation_change_escalation", table_name="escalation_change")
    op.drop_table("escalation_change")
    op.drop_index("ix_escalation_mention", table_name="escalation")
    op.drop_index("ix_escalation_assignee_status", table_name="escalation")
    op.drop_index("ix_escalation_org_created", table_name="escalation")
    op.drop_table("escalation")
    op.drop_index("ix_mention_topic_topic", table_name="mention_topic")
    op.drop_table("mention_topic")
    op.drop_index("ix_mention_org_status_occurred", table_name="mention")
    op.drop_index("ix_mention_org_occurred", table_name="mention")
    op.drop_table("mention")
