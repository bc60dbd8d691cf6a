"""The campaign table: an objective (a KPI, a target, a date), topics, a budget and a run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow


class Campaign(SQLModel, table=True):
    """A planned push toward one KPI target; content is attached through content.campaign_id."""

    __tablename__ = "campaign"
    __table_args__ = (Index("ix_campaign_org_created", "organization_id", "created_at", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    name: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=String(2000))
    # The objective: reach `objective_target` of KPI `objective_kpi` (a name of
    # domain.metrics.report.KPI_NAMES) by `objective_due`.
    objective_kpi: str = Field(sa_type=String(64))
    objective_target: float
    objective_due: datetime = Field(sa_type=UTCDateTime, nullable=False)
    topic_ids: list[int] = Field(default_factory=list, sa_type=JSON)
    budget: float = Field(default=0.0)
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(sa_type=String(32))
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1)


TENANT_TABLES = (Campaign.__tablename__,)
