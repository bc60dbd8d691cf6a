"""The webhook tables: subscriptions, one delivery row per (subscription, event), the mark.

A delivery row is both the queue (status `pending`, `next_attempt_at`) and the log (attempts,
last status code, error, duration, delivered at). The dispatch mark is global: it is where the
dispatcher stopped reading the `domain_event` outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow

PENDING = "pending"
SUCCEEDED = "succeeded"
FAILED = "failed"
DELIVERY_STATUSES = (PENDING, SUCCEEDED, FAILED)


class Webhook(SQLModel, table=True):
    """An organization's subscription of one URL to some event names."""

    __tablename__ = "webhook"
    __table_args__ = (Index("ix_webhook_org_id", "organization_id", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    url: str = Field(sa_type=String(2000))
    events: list[str] = Field(default_factory=list, sa_type=JSON)
    description: str = Field(default="", sa_type=String(500))
    # HMAC needs the secret itself, so it cannot be stored as a hash; the API never shows it
    # again after creation.
    secret: str = Field(sa_type=String(100))
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # Raised by every change, so an update can name the version it read (expectedVersion).
    version: int = Field(default=1)


class WebhookDelivery(SQLModel, table=True):
    """One event owed to one webhook: queued, retried, then succeeded or failed."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_id", name="uq_webhook_delivery_event"),
        Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        Index("ix_webhook_delivery_webhook", "webhook_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    webhook_id: int = Field(
        foreign_key="webhook.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    event_id: int = Field(
        foreign_key="domain_event.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    event_name: str = Field(sa_type=String(64))
    # Sent as `Townsquare-Delivery` on every attempt, so receivers can drop duplicates.
    delivery_key: str = Field(sa_type=String(64), unique=True)
    status: str = Field(default=PENDING, sa_type=String(16))
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=True
    )
    # Who holds the delivery while sending; a lease that expires if that worker dies.
    claim_token: str | None = Field(default=None, sa_type=String(64), nullable=True)
    last_status_code: int | None = Field(default=None, nullable=True)
    last_error: str | None = Field(default=None, sa_type=String(500), nullable=True)
    last_duration_ms: int | None = Field(default=None, nullable=True)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class WebhookDispatchMark(SQLModel, table=True):
    """How far the dispatcher has read the outbox (one row per dispatcher name)."""

    __tablename__ = "webhook_dispatch_mark"

    name: str = Field(primary_key=True, sa_type=String(64))
    last_event_id: int = Field(default=0, sa_type=BigId)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
