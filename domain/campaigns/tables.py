"""The campaign table: an objective (a KPI, a target, a date), topics, a budget and a run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String, UniqueConstraint
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


class Conversion(SQLModel, table=True):
    """A member's conversion (a sale, a sign-up) with its value, keyed by the caller's id."""

    __tablename__ = "conversion"
    __table_args__ = (
        UniqueConstraint("organization_id", "external_id", name="uq_conversion_org_external"),
        Index("ix_conversion_member_occurred", "member_id", "occurred_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    external_id: str = Field(sa_type=String(200))
    member_id: int = Field(
        foreign_key="member.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    value: float
    occurred_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    lookback_days: int
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ConversionAttribution(SQLModel, table=True):
    """The credit one model gives one piece of content for one conversion, stored once so
    ROI reads sums instead of recomputing touches."""

    __tablename__ = "conversion_attribution"
    __table_args__ = (
        Index("ix_conversion_attribution_conversion", "conversion_id"),
        Index("ix_conversion_attribution_campaign", "campaign_id", "model"),
        Index("ix_conversion_attribution_community", "community_id", "model"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = Field(
        foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    conversion_id: int = Field(
        foreign_key="conversion.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    model: str = Field(sa_type=String(32))
    content_id: int = Field(
        foreign_key="content.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    community_id: int = Field(
        foreign_key="community.id", sa_type=BigId, nullable=False, ondelete="CASCADE"
    )
    campaign_id: int | None = Field(
        default=None, foreign_key="campaign.id", sa_type=BigId, nullable=True, ondelete="SET NULL"
    )
    touches: int
    credit: float


TENANT_TABLES = (
    Campaign.__tablename__,
    CampaignTask.__tablename__,
    CampaignTaskDependency.__tablename__,
    Conversion.__tablename__,
    ConversionAttribution.__tablename__,
)
