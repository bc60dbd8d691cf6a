"""The listening tables: mentions and their topics, escalations with history, alerts, settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow


def _id() -> Any:
    return Field(default=None, primary_key=True, sa_type=BigId)


def _fk(target: str, *, nullable: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        foreign_key=target,
        sa_type=BigId,
        nullable=nullable,
        ondelete="SET NULL" if nullable else "CASCADE",
    )


def _at(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Mention(SQLModel, table=True):
    """A conversation about the brand found by listening, and where the inbox has it."""

    __tablename__ = "mention"
    __table_args__ = (
        # The inbox lists newest first, optionally narrowed by status.
        Index("ix_mention_org_occurred", "organization_id", "occurred_at", "id"),
        Index("ix_mention_org_status_occurred", "organization_id", "status", "occurred_at", "id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    source: str = Field(sa_type=String(64))
    author_member_id: int | None = _fk("member.id", nullable=True)
    author_handle: str = Field(sa_type=String(200))
    author_followers: int = Field(default=0)
    text: str = Field(sa_type=String(5000))
    url: str | None = Field(default=None, sa_type=String(2000), nullable=True)
    sentiment: float = Field(default=0.0)
    reach: int = Field(default=0)
    kind: str = Field(sa_type=String(32))
    priority: str = Field(sa_type=String(32))
    status: str = Field(sa_type=String(32))
    assignee_member_id: int | None = _fk("member.id", nullable=True)
    response_text: str | None = Field(default=None, sa_type=String(5000), nullable=True)
    responded_at: datetime | None = _at(nullable=True)
    first_response_seconds: float | None = Field(default=None, nullable=True)
    occurred_at: datetime = _at()
    created_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class MentionTopic(SQLModel, table=True):
    """Which topics a mention is about (tagged from the topics' keywords)."""

    __tablename__ = "mention_topic"
    __table_args__ = (Index("ix_mention_topic_topic", "topic_id", "mention_id"),)

    mention_id: int = Field(
        foreign_key="mention.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    topic_id: int = Field(
        foreign_key="topic.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    organization_id: int = _fk("organization.id")


class Escalation(SQLModel, table=True):
    """A mention or content routed to a subject-matter expert, with a response-time target."""

    __tablename__ = "escalation"
    __table_args__ = (
        Index("ix_escalation_org_created", "organization_id", "created_at", "id"),
        Index("ix_escalation_assignee_status", "assignee_member_id", "status"),
        Index("ix_escalation_mention", "mention_id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    mention_id: int | None = _fk("mention.id", nullable=True)
    content_id: int | None = _fk("content.id", nullable=True)
    assignee_member_id: int | None = _fk("member.id", nullable=True)
    priority: str = Field(sa_type=String(32))
    status: str = Field(sa_type=String(32))
    reason: str = Field(default="", sa_type=String(2000))
    target_seconds: int
    due_at: datetime = _at()
    first_response_at: datetime | None = _at(nullable=True)
    first_response_seconds: float | None = Field(default=None, nullable=True)
    resolved_at: datetime | None = _at(nullable=True)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class EscalationChange(SQLModel, table=True):
    """One state change of an escalation: what, who (the API key) and when."""

    __tablename__ = "escalation_change"
    __table_args__ = (Index("ix_escalation_change_escalation", "escalation_id", "id"),)

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    escalation_id: int = _fk("escalation.id")
    action: str = Field(sa_type=String(32))
    from_status: str | None = Field(default=None, sa_type=String(32), nullable=True)
    to_status: str = Field(sa_type=String(32))
    assignee_member_id: int | None = _fk("member.id", nullable=True)
    actor_key_id: int | None = _fk("api_key.id", nullable=True)
    actor: str = Field(sa_type=String(200))
    note: str = Field(default="", sa_type=String(2000))
    occurred_at: datetime = _at()


class Alert(SQLModel, table=True):
    """A negative snowball on a topic: raised once per episode, ended when the rate falls back."""

    __tablename__ = "alert"
    __table_args__ = (
        # At most one open alert per topic: `open_topic_id` is the topic while open, NULL after,
        # and NULLs never collide, so two racing raises cannot both commit.
        UniqueConstraint("organization_id", "open_topic_id", name="uq_alert_open_topic"),
        Index("ix_alert_org_raised", "organization_id", "raised_at", "id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    topic_id: int = _fk("topic.id")
    open_topic_id: int | None = Field(default=None, sa_type=BigId, nullable=True)
    status: str = Field(sa_type=String(32))
    window_count: int
    baseline_per_window: float
    ratio: float
    threshold: float
    raised_at: datetime = _at()
    last_seen_at: datetime = _at()
    ended_at: datetime | None = _at(nullable=True)


class ListeningSettings(SQLModel, table=True):
    """An organization's thresholds for snowball alerts and its response-time targets."""

    __tablename__ = "listening_settings"

    organization_id: int = Field(
        foreign_key="organization.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    snowball_window_minutes: int = Field(default=60)
    snowball_baseline_days: int = Field(default=7)
    snowball_ratio: float = Field(default=3.0)
    snowball_min_count: int = Field(default=5)
    target_seconds_low: int = Field(default=72 * 3600)
    target_seconds_normal: int = Field(default=24 * 3600)
    target_seconds_high: int = Field(default=4 * 3600)
    target_seconds_urgent: int = Field(default=3600)
    updated_at: datetime = _at()


TENANT_TABLES: tuple[str, ...] = (
    "mention",
    "mention_topic",
    "escalation",
    "escalation_change",
    "alert",
    "listening_settings",
)
