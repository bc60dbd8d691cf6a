"""The simulation table: one strategy experiment an organization asked for, and its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow


class Simulation(SQLModel, table=True):
    """A requested experiment: what to run, how far it got, and its summary once done."""

    __tablename__ = "simulation"
    __table_args__ = (
        Index("ix_simulation_org_id", "organization_id", "id"),
        Index("ix_simulation_status", "status"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    scenario: str = Field(sa_type=String(64))
    strategies: list[str] = Field(default_factory=list, sa_type=JSON)
    seeds: int
    days: int
    members: int
    base_seed: int = Field(default=0)
    status: str = Field(sa_type=String(16))
    done: int = Field(default=0)
    total: int = Field(default=0)
    # KPI means with 95% intervals per strategy and paired differences, once it succeeded.
    summary: dict[str, Any] | None = Field(default=None, sa_type=JSON, nullable=True)
    error: str | None = Field(default=None, sa_type=String(500), nullable=True)
    requested_by_key_id: int | None = Field(default=None, sa_type=BigId, nullable=True)
    # Which server process holds the run, and when it last said it is alive.
    runner: str | None = Field(default=None, sa_type=String(200), nullable=True)
    heartbeat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


TENANT_TABLES = (Simulation.__tablename__,)
