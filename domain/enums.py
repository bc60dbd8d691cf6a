"""Closed sets of the domain vocabulary, stored as their lower-case string values."""

from enum import StrEnum


class Platform(StrEnum):
    BLOG = "blog"
    FORUM = "forum"
    SOCIAL_NETWORK = "social_network"
    MICROBLOG = "microblog"
    PRIVATE_NETWORK = "private_network"
    CHAT = "chat"
    BOOKMARKING = "bookmarking"


class Visibility(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"


class MembershipRole(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    COMMUNITY_MANAGER = "community_manager"
    SUBJECT_MATTER_EXPERT = "subject_matter_expert"
    EMPLOYEE = "employee"


class MembershipState(StrEnum):
    ACTIVE = "active"
    LAPSED = "lapsed"
    CHURNED = "churned"


class ContentKind(StrEnum):
    POST = "post"
    ARTICLE = "article"
    COMMENT = "comment"
    REPLY = "reply"
    QUESTION = "question"
    ANSWER = "answer"
    ANNOUNCEMENT = "announcement"


class ContentStatus(StrEnum):
    """draft -> in_review -> approved or rejected -> scheduled -> published (see
    domain/campaigns/workflow.py); content published directly starts as published."""

    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class TaskStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class AttributionModel(StrEnum):
    """How a conversion's value is credited to the content a member engaged with before it."""

    LAST_TOUCH = "last_touch"
    LINEAR = "linear"


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    CLOSED = "closed"


class EngagementKind(StrEnum):
    VIEW = "view"
    LIKE = "like"
    SHARE = "share"
    COMMENT = "comment"
    CLICK = "click"


class ApiKeyRole(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    ANALYST = "analyst"
    VIEWER = "viewer"
    INGESTION = "ingestion"


class CommunityOrder(StrEnum):
    """Orderings the communities list serves; each has an index behind it."""

    CREATED_AT = "created_at"
    NAME = "name"
    UPDATED_AT = "updated_at"


class SimulationStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
