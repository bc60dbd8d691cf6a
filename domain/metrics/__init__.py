"""The one set of KPI formulas, shared by the API (over stored rows) and the simulator (arrays).

Every KPI of the design's Metrics table is defined once here, as a pure function over counts or
arrays. The API feeds them SQL aggregates; the simulator feeds them NumPy arrays. A rate whose
denominator is zero is 0.0, never an error or NaN, so that empty windows render as zero.
"""

from domain.metrics.audience import (
    active_members,
    audience_size,
    churn_count,
    churn_rate,
    retention,
    stickiness,
)
from domain.metrics.base import safe_ratio
from domain.metrics.conversion import conversion_totals, payback_index, roi
from domain.metrics.engagement import (
    amplification_rate,
    applause_rate,
    conversation_rate,
    engagement_rate,
    engagement_weight,
    quality_weighted_engagement,
)
from domain.metrics.relationship import average_love, average_trust
from domain.metrics.response import (
    escalation_sla,
    escalations_within_target,
    median_first_response_time,
    response_rate,
)
from domain.metrics.sentiment import net_sentiment, sentiment_counts
from domain.metrics.strategy import strategy_alignment

__all__ = [
    "active_members",
    "amplification_rate",
    "applause_rate",
    "audience_size",
    "average_love",
    "average_trust",
    "churn_count",
    "churn_rate",
    "conversation_rate",
    "conversion_totals",
    "engagement_rate",
    "engagement_weight",
    "escalation_sla",
    "escalations_within_target",
    "median_first_response_time",
    "net_sentiment",
    "payback_index",
    "quality_weighted_engagement",
    "response_rate",
    "retention",
    "roi",
    "safe_ratio",
    "sentiment_counts",
    "stickiness",
    "strategy_alignment",
]
