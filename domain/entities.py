"""The core entities as SQLModel tables; every tenant row carries its organization's id."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from domain.timeutil import UTCDateTime, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _id() -> Any:
    return Field(default=None, primary_key=True, sa_type=BigId)


def _fk(target: str, *, nullable: bool = False, index: bool = False) -> Any:
    return Field(
        default=None if nullable else ...,
        foreign_key=target,
        sa_type=BigId,
        nullable=nullable,
        index=index,
        ondelete="CASCADE" if not nullable else "SET NULL",
    )


def _enum(length: int = 32, **kwargs: Any) -> Any:
    return Field(sa_type=String(length), **kwargs)


def _at(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Organization(SQLModel, table=True):
    """The brand and the tenant boundary; holds its strategy's objectives."""

    __tablename__ = "organization"

    id: int | None = _id()
    slug: str = Field(sa_type=String(64), unique=True, index=True)
    name: str = Field(sa_type=String(200))
    objectives: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class Topic(SQLModel, table=True):
    """A subject in the organization's vocabulary; `advantage` weighs strategic topics."""

    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("organization_id", "slug", name="uq_topic_org_slug"),)

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    slug: str = Field(sa_type=String(64))
    name: str = Field(sa_type=String(200))
    keywords: list[str] = Field(default_factory=list, sa_type=JSON)
    strategic: bool = Field(default=False)
    advantage: float = Field(default=0.0)
    created_at: datetime = _at()


class ApiKey(SQLModel, table=True):
    """An API credential of one organization with one role; only its hash is stored."""

    __tablename__ = "api_key"

    id: int | None = _id()
    organization_id: int = _fk("organization.id", index=True)
    name: str = Field(default="", sa_type=String(200))
    prefix: str = Field(sa_type=String(32), index=True)
    key_hash: str = Field(sa_type=String(128), unique=True)
    role: str = _enum()
    created_at: datetime = _at()
    last_used_at: datetime | None = _at(nullable=True)
    revoked_at: datetime | None = _at(nullable=True)


class Community(SQLModel, table=True):
    """Where conversations happen: a platform with a visibility."""

    __tablename__ = "community"
    __table_args__ = (
        Index("ix_community_org_created", "organization_id", "created_at", "id"),
        Index("ix_community_org_name", "organization_id", "name", "id"),
        Index("ix_community_org_updated", "organization_id", "updated_at", "id"),
        Index("ix_community_org_platform", "organization_id", "platform"),
        Index("ix_community_org_visibility", "organization_id", "visibility"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    name: str = Field(sa_type=String(200))
    description: str = Field(default="", sa_type=String(2000))
    platform: str = _enum()
    visibility: str = _enum()
    archived_at: datetime | None = _at(nullable=True)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class Member(SQLModel, table=True):
    """A person, with a profile, interests over topics and follower counts."""

    __tablename__ = "member"
    __table_args__ = (
        UniqueConstraint("organization_id", "handle", name="uq_member_org_handle"),
        Index("ix_member_org_created", "organization_id", "created_at", "id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    handle: str = Field(sa_type=String(64))
    display_name: str = Field(sa_type=String(200))
    bio: str = Field(default="", sa_type=String(2000))
    location: str = Field(default="", sa_type=String(200))
    followers_count: int = Field(default=0)
    following_count: int = Field(default=0)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class MemberInterest(SQLModel, table=True):
    """How much a member cares about one topic (weights of a member sum to 1 or less)."""

    __tablename__ = "member_interest"

    member_id: int = Field(
        foreign_key="member.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    topic_id: int = Field(
        foreign_key="topic.id", primary_key=True, sa_type=BigId, ondelete="CASCADE", index=True
    )
    organization_id: int = _fk("organization.id")
    weight: float


class Membership(SQLModel, table=True):
    """A member in a community, with a role, a state, love, trust and orbit level."""

    __tablename__ = "membership"
    __table_args__ = (
        UniqueConstraint("community_id", "member_id", name="uq_membership_community_member"),
        Index("ix_membership_community_role", "community_id", "role", "id"),
        Index("ix_membership_community_state", "community_id", "state", "id"),
        Index("ix_membership_member", "member_id", "id"),
        Index("ix_membership_org", "organization_id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    community_id: int = _fk("community.id")
    member_id: int = _fk("member.id")
    role: str = _enum()
    state: str = _enum()
    love: float = Field(default=0.0)
    trust: float = Field(default=0.5)
    orbit_level: int = Field(default=4)
    joined_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class Follow(SQLModel, table=True):
    """Member follows member: the graph for reach, influence and cascades."""

    __tablename__ = "follow"
    __table_args__ = (
        UniqueConstraint("follower_id", "followee_id", name="uq_follow_pair"),
        Index("ix_follow_followee", "followee_id", "id"),
        Index("ix_follow_org", "organization_id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    follower_id: int = _fk("member.id")
    followee_id: int = _fk("member.id")
    created_at: datetime = _at()


class Content(SQLModel, table=True):
    """A post, article, comment, reply, question, answer or announcement; threads via parent."""

    __tablename__ = "content"
    __table_args__ = (
        Index("ix_content_community_created", "community_id", "created_at", "id"),
        Index("ix_content_community_kind", "community_id", "kind", "created_at", "id"),
        Index("ix_content_parent_created", "parent_id", "created_at", "id"),
        Index("ix_content_author_created", "author_id", "created_at", "id"),
        Index("ix_content_org_status", "organization_id", "status"),
        Index("ix_content_campaign_created", "campaign_id", "created_at", "id"),
        # The scheduler and the calendar find due or dated items by status and time.
        Index("ix_content_status_scheduled", "status", "scheduled_at"),
        # Metrics count a community's content published in a window (by topic): on PostgreSQL
        # from this index alone, without visiting the rows.
        Index(
            "ix_content_community_published",
            "community_id",
            "published_at",
            "id",
            postgresql_include=["organization_id", "deleted_at"],
        ),
        # ... and its questions published in a window. Without it, PostgreSQL's generic plan of
        # that prepared statement walks the index above over every kind of content.
        Index(
            "ix_content_community_kind_published",
            "community_id",
            "kind",
            "published_at",
            postgresql_include=["id", "organization_id", "deleted_at"],
        ),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    community_id: int = _fk("community.id")
    author_id: int | None = _fk("member.id", nullable=True)
    parent_id: int | None = _fk("content.id", nullable=True)
    kind: str = _enum()
    title: str = Field(default="", sa_type=String(300))
    body: str = Field(default="", sa_type=String(20000))
    sentiment: float = Field(default=0.0)
    quality: float = Field(default=0.5)
    status: str = _enum()
    published_at: datetime | None = _at(nullable=True)
    deleted_at: datetime | None = _at(nullable=True)
    reply_count: int = Field(default=0)
    # The approval workflow (domain/campaigns/workflow.py); all null for content published
    # directly. The campaign table lives in domain/campaigns/tables.py.
    campaign_id: int | None = _fk("campaign.id", nullable=True)
    scheduled_at: datetime | None = _at(nullable=True)
    submitted_by_key_id: int | None = _fk("api_key.id", nullable=True)
    reviewed_by_key_id: int | None = _fk("api_key.id", nullable=True)
    rejection_reason: str | None = Field(default=None, sa_type=String(2000), nullable=True)
    created_at: datetime = _at()
    updated_at: datetime = _at()
    version: int = Field(default=1)


class ContentTopic(SQLModel, table=True):
    """Which topics a piece of content is about."""

    __tablename__ = "content_topic"
    __table_args__ = (Index("ix_content_topic_topic", "topic_id", "content_id"),)

    content_id: int = Field(
        foreign_key="content.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    topic_id: int = Field(
        foreign_key="topic.id", primary_key=True, sa_type=BigId, ondelete="CASCADE"
    )
    organization_id: int = _fk("organization.id")


class Engagement(SQLModel, table=True):
    """A member's action on content at a time: view, like, share, comment or click."""

    __tablename__ = "engagement"
    __table_args__ = (
        Index("ix_engagement_content_occurred", "content_id", "occurred_at", "id"),
        Index("ix_engagement_member_occurred", "member_id", "occurred_at"),
        Index("ix_engagement_community_occurred", "community_id", "occurred_at"),
        Index("ix_engagement_org", "organization_id"),
    )

    id: int | None = _id()
    organization_id: int = _fk("organization.id")
    community_id: int = _fk("community.id")
    content_id: int = _fk("content.id")
    member_id: int = _fk("member.id")
    kind: str = _enum()
    occurred_at: datetime = _at()
    created_at: datetime = _at()
    # The engager's influence times their interest match, frozen when the action is recorded
    # (see domain.rollups.weights), so rollups can always be rebuilt to the same sums.
    quality_weight: float = Field(default=0.0, sa_column_kwargs={"server_default": "0"})


TENANT_TABLES = (
    "topic",
    "api_key",
    "community",
    "member",
    "member_interest",
    "membership",
    "follow",
    "content",
    "content_topic",
    "engagement",
)
