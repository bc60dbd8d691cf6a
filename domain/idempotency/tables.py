"""The `idempotency_key` table: one row per (organization, key), in progress or completed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow

IN_PROGRESS = "in_progress"
COMPLETED = "completed"


class IdempotencyKey(SQLModel, table=True):
    """A client's key for one write, the hash of the request, and the response it got."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("organization_id", "key", name="uq_idempotency_key_org_key"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    key: str = Field(sa_type=String(255))
    request_hash: str = Field(sa_type=String(64))
    status: str = Field(default=IN_PROGRESS, sa_type=String(16))
    response_status: int | None = Field(default=None, nullable=True)
    response_content_type: str | None = Field(default=None, sa_type=String(200), nullable=True)
    response_body: bytes | None = Field(default=None, sa_type=LargeBinary, nullable=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True
    )
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
