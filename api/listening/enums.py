"""The listening vocabulary's closed sets, registered as GraphQL enums."""

from __future__ import annotations

import strawberry

from domain.listening.enums import (
    AlertStatus,
    EscalationAction,
    EscalationStatus,
    MentionKind,
    MentionStatus,
    Priority,
    SentimentLabel,
)

strawberry.enum(MentionStatus, description="Where a mention is in the inbox.")
strawberry.enum(MentionKind, description="What a mention is: a complaint, a question, praise.")
strawberry.enum(Priority, description="How urgently a mention or escalation needs an answer.")
strawberry.enum(SentimentLabel, name="Sentiment", description="A sentiment score's band.")
strawberry.enum(EscalationStatus, description="Where an escalation is in its life.")
strawberry.enum(EscalationAction, description="What a change did to an escalation.")
strawberry.enum(AlertStatus, description="Whether an alert's episode is still going.")

__all__ = [
    "AlertStatus",
    "EscalationAction",
    "EscalationStatus",
    "MentionKind",
    "MentionStatus",
    "Priority",
    "SentimentLabel",
]
