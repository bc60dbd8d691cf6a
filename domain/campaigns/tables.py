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


class CampaignTask(SQLModel, table=True):
    """A piece of work of a campaign, owned by a staff member, with a start and a due date."""

    __tablename__ = "campaign_task"
    __table_args__ = (Index("ix_campaign_task_campaign", "campaign_id", "starts_at", "id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    campaign_id: int = Field(
        foreign_key="campaign.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    title: str = Field(sa_type=String(200))
    owner_member_id: int = Field(
        foreign_key="member.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    starts_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(sa_type=String(32))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    version: int = Field(default=1)


class CampaignTaskDependency(SQLModel, table=True):
    """Task `task_id` cannot start before task `depends_on_id` is done."""

    __tablename__ = "campaign_task_dependency"
    __table_args__ = (Index("ix_campaign_task_dependency_on", "depends_on_id"),)

    task_id: int = Field(
        foreign_key="campaign_task.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    depends_on_id: int = Field(
        foreign_key="campaign_task.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )


TENANT_TABLES = (
    Campaign.__tablename__,
    CampaignTask.__tablename__,
    CampaignTaskDependency.__tablename__,
)
