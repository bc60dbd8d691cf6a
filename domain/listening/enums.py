"""Closed sets of the listening vocabulary, stored as their lower-case string values."""

from enum import StrEnum


class MentionStatus(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    ESCALATED = "escalated"
    RESPONDED = "responded"
    IGNORED = "ignored"


class MentionKind(StrEnum):
    COMPLAINT = "complaint"
    QUESTION = "question"
    PRAISE = "praise"
    OTHER = "other"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class SentimentLabel(StrEnum):
    POSITIVE = "positive"
    NEUTRAL = "neutral"
    NEGATIVE = "negative"


class EscalationStatus(StrEnum):
    OPEN = "open"
    RESPONDED = "responded"
    RESOLVED = "resolved"


class EscalationAction(StrEnum):
    CREATED = "created"
    RESPONDED = "responded"
    REASSIGNED = "reassigned"
    RESOLVED = "resolved"


class AlertStatus(StrEnum):
    OPEN = "open"
    ENDED = "ended"
