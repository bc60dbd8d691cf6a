"""The audit table: who (the API key) did what (the mutation) to which row, in which request."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """One successful mutation: it commits with the write it describes, or not at all."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_org_id", "organization_id", "id"),
        Index("ix_audit_entry_org_action", "organization_id", "action", "id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    # No foreign key: the log must outlive a key that is ever deleted, and keys are only revoked.
    actor_key_id: int | None = Field(default=None, sa_type=BigId, nullable=True)
    actor: str = Field(sa_type=String(200))
    action: str = Field(sa_type=String(64))
    target_type: str | None = Field(default=None, sa_type=String(64), nullable=True)
    target_id: int | None = Field(default=None, sa_type=BigId, nullable=True)
    request_id: str | None = Field(default=None, sa_type=String(128), nullable=True)
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


TENANT_TABLES = (AuditEntry.__tablename__,)
