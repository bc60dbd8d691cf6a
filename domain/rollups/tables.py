"""Tables the metrics read instead of raw rows: daily rollups, activity days, love and influence.

Every row here is derived: `domain.rollups.rebuild` can recompute all of it from the raw rows
(engagement, content, membership, follow). Writers keep it current in their own transaction, so
a dashboard reads a few hundred rollup rows instead of scanning engagement.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, Index, Integer, LargeBinary, SmallInteger
from sqlmodel import Field, SQLModel

from domain.entities import BigId
from domain.timeutil import UTCDateTime, utcnow


def _key(target: str) -> Any:
    return Field(foreign_key=target, primary_key=True, sa_type=BigId, ondelete="CASCADE")


def _org() -> Any:
    return Field(foreign_key="organization.id", sa_type=BigId, nullable=False, ondelete="CASCADE")


def _count() -> Any:
    return Field(default=0, sa_type=Integer, nullable=False)


def _sum() -> Any:
    return Field(default=0.0, sa_type=Float, nullable=False)


class CommunityDaily(SQLModel, table=True):
    """One community's counts for one UTC day; every column is additive over days."""

    __tablename__ = "community_daily"
    __table_args__ = (Index("ix_community_daily_org_day", "organization_id", "day"),)

    community_id: int = _key("community.id")
    day: date = Field(primary_key=True, sa_type=Date)
    organization_id: int = _org()
    posts: int = _count()
    replies: int = _count()
    views: int = _count()
    likes: int = _count()
    comments: int = _count()
    shares: int = _count()
    clicks: int = _count()
    quality_weighted: float = _sum()
    active_members: int = _count()
    joins: int = _count()
    churns: int = _count()
    audience_delta: int = _count()
    positive_voices: int = _count()
    negative_voices: int = _count()
    voices: int = _count()
    questions: int = _count()


class MemberActivityDay(SQLModel, table=True):
    """That a member engaged in a community on a day: distinct counts stay exact and additive."""

    __tablename__ = "member_activity_day"
    __table_args__ = (
        Index("ix_member_activity_day_community_day", "community_id", "day", "member_id"),
        Index("ix_member_activity_day_org_day", "organization_id", "day", "member_id"),
    )

    community_id: int = _key("community.id")
    member_id: int = _key("member.id")
    day: date = Field(primary_key=True, sa_type=Date)
    organization_id: int = _org()


class ActiveMembersDay(SQLModel, table=True):
    """The members active in a community on a day, as a serialized Roaring bitmap of member ids.

    The same facts as that day's `member_activity_day` rows, packed so a window's distinct
    active members is the size of the union of its days' bitmaps (a few kilobytes a day)
    instead of an aggregate over every member-day of the window.
    """

    __tablename__ = "active_members_day"
    __table_args__ = (Index("ix_active_members_day_org_day", "organization_id", "day"),)

    community_id: int = _key("community.id")
    day: date = Field(primary_key=True, sa_type=Date)
    organization_id: int = _org()
    members: bytes = Field(sa_type=LargeBinary, nullable=False)


class MembershipScore(SQLModel, table=True):
    """Orbit love of a membership: weighted presence and commitment since the last evaluation."""

    __tablename__ = "membership_score"
    __table_args__ = (Index("ix_membership_score_community", "community_id", "membership_id"),)

    membership_id: int = _key("membership.id")
    organization_id: int = _org()
    community_id: int = Field(foreign_key="community.id", sa_type=BigId, ondelete="CASCADE")
    presence: float = _sum()
    commitment: float = _sum()
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OrbitChange(SQLModel, table=True):
    """A membership moved from one orbit level to another (promotion or demotion)."""

    __tablename__ = "orbit_change"
    __table_args__ = (
        Index("ix_orbit_change_community_at", "community_id", "changed_at"),
        Index("ix_orbit_change_org", "organization_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BigId)
    organization_id: int = _org()
    community_id: int = Field(foreign_key="community.id", sa_type=BigId, ondelete="CASCADE")
    membership_id: int = Field(foreign_key="membership.id", sa_type=BigId, ondelete="CASCADE")
    from_level: int = Field(sa_type=SmallInteger)
    to_level: int = Field(sa_type=SmallInteger)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class MembershipInfluence(SQLModel, table=True):
    """A member's reach over the follow graph and the quality of engagement their content draws,
    computed by the influence job (never per request)."""

    __tablename__ = "membership_influence"
    __table_args__ = (
        Index("ix_membership_influence_rank", "community_id", "score", "membership_id"),
        Index("ix_membership_influence_org", "organization_id"),
    )

    membership_id: int = _key("membership.id")
    organization_id: int = _org()
    community_id: int = Field(foreign_key="community.id", sa_type=BigId, ondelete="CASCADE")
    member_id: int = Field(foreign_key="member.id", sa_type=BigId, ondelete="CASCADE")
    reach: float = _sum()
    quality: float = _sum()
    score: float = _sum()
    computed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


ROLLUP_TABLES = (
    CommunityDaily,
    MemberActivityDay,
    ActiveMembersDay,
    MembershipScore,
    OrbitChange,
    MembershipInfluence,
)
TENANT_TABLES = (
    "community_daily",
    "member_activity_day",
    "active_members_day",
    "membership_score",
    "orbit_change",
    "membership_influence",
)
