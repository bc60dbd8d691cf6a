"""Every KPI of a window from its inputs: the summary a dashboard shows, by the shared formulas.

`Totals` holds the additive counts of a window (sums of daily rollups: the totals of two
disjoint windows add up to the totals of their union); `WindowInputs` adds what is not additive
(audience at the edges, distinct active members, response times, topic volume, averages).
`summarize` turns them into a `Summary`, one field per KPI, by the formulas of this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from domain.metrics.audience import churn_rate, stickiness
from domain.metrics.conversion import roi
from domain.metrics.engagement import (
    amplification_rate,
    applause_rate,
    conversation_rate,
    engagement_rate,
)
from domain.metrics.response import escalation_sla, median_first_response_time, response_rate
from domain.metrics.sentiment import net_sentiment
from domain.metrics.strategy import strategy_alignment

STICKINESS_DAYS = 30
"""Stickiness compares daily to monthly actives over the last 30 days of a window."""


@dataclass
class Totals:
    """Additive counts of a window: the sum of its days' rollups."""

    posts: int = 0
    replies: int = 0
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    clicks: int = 0
    quality_weighted: float = 0.0
    daily_active: int = 0
    joins: int = 0
    churns: int = 0
    audience_delta: int = 0
    positive_voices: int = 0
    negative_voices: int = 0
    voices: int = 0
    questions: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def engagements(self) -> int:
        return self.views + self.likes + self.comments + self.shares + self.clicks


@dataclass
class ListeningInputs:
    """Mentions and escalations of a window: they join comments in sentiment and responses."""

    mentions: int = 0
    positive_mentions: int = 0
    negative_mentions: int = 0
    mentions_needing_answer: int = 0
    mentions_answered: int = 0
    mention_response_seconds: list[float] = field(default_factory=list)
    escalations: int = 0
    escalations_within_target: int = 0
    escalation_response_seconds: list[float] = field(default_factory=list)


@dataclass
class WindowInputs:
    """What a window's KPIs need beyond its additive totals."""

    totals: Totals
    audience_start: int = 0
    audience_end: int = 0
    active_members: int = 0
    trailing_daily_active: list[int] = field(default_factory=list)
    trailing_active_members: int = 0
    questions_asked: int = 0
    questions_answered: int = 0
    response_seconds: list[float] = field(default_factory=list)
    topic_volume: list[float] = field(default_factory=list)
    topic_advantage: list[float] = field(default_factory=list)
    love: float = 0.0
    trust: float = 0.0
    conversions: int = 0
    conversion_value: float = 0.0
    cost: float | None = None
    listening: ListeningInputs = field(default_factory=ListeningInputs)


@dataclass(frozen=True)
class Summary:
    """One value per KPI (see docs/METRICS.md for each formula)."""

    audience_size: int
    active_members: int
    stickiness: float
    posts: int
    engagements: int
    likes: int
    comments: int
    shares: int
    engagement_rate: float
    amplification_rate: float
    conversation_rate: float
    applause_rate: float
    quality_weighted_engagement: float
    net_sentiment: float
    mentions: int
    response_rate: float
    median_first_response_seconds: float | None
    escalations: int
    escalation_sla: float | None
    median_escalation_response_seconds: float | None
    joins: int
    churned: int
    churn_rate: float
    love: float
    trust: float
    strategy_alignment: float
    conversions: int
    conversion_value: float
    roi: float | None


def summarize(inputs: WindowInputs) -> Summary:
    """The KPIs of one window."""
    t = inputs.totals
    heard = inputs.listening
    return Summary(
        audience_size=inputs.audience_end,
        active_members=inputs.active_members,
        stickiness=stickiness(inputs.trailing_daily_active, inputs.trailing_active_members),
        posts=t.posts,
        engagements=t.engagements,
        likes=t.likes,
        comments=t.comments,
        shares=t.shares,
        engagement_rate=engagement_rate(t.likes, t.comments, t.shares, inputs.audience_end),
        amplification_rate=amplification_rate(t.shares, t.posts),
        conversation_rate=conversation_rate(t.comments, t.posts),
        applause_rate=applause_rate(t.likes, t.posts),
        quality_weighted_engagement=t.quality_weighted,
        net_sentiment=net_sentiment(
            t.positive_voices + heard.positive_mentions,
            t.negative_voices + heard.negative_mentions,
            t.voices + heard.mentions,
        ),
        mentions=heard.mentions,
        response_rate=response_rate(
            inputs.questions_answered + heard.mentions_answered,
            inputs.questions_asked + heard.mentions_needing_answer,
        ),
        median_first_response_seconds=median_first_response_time(
            [*inputs.response_seconds, *heard.mention_response_seconds]
        ),
        escalations=heard.escalations,
        # With no escalation in the window there is no SLA to attain: null, not 0 % or 100 %.
        escalation_sla=(
            escalation_sla(heard.escalations_within_target, heard.escalations)
            if heard.escalations
            else None
        ),
        median_escalation_response_seconds=median_first_response_time(
            heard.escalation_response_seconds
        ),
        joins=t.joins,
        churned=t.churns,
        churn_rate=churn_rate(t.churns, inputs.audience_start),
        love=inputs.love,
        trust=inputs.trust,
        strategy_alignment=(
            strategy_alignment(inputs.topic_volume, inputs.topic_advantage)
            if inputs.topic_volume
            else 0.0
        ),
        conversions=inputs.conversions,
        conversion_value=inputs.conversion_value,
        # No recorded cost means no ROI to speak of: null, not a made-up zero.
        roi=None if not inputs.cost else roi(inputs.conversion_value, inputs.cost),
    )


KPI_NAMES = tuple(f.name for f in fields(Summary))


def changes(current: Summary, previous: Summary) -> dict[str, tuple[float | None, float | None]]:
    """Per KPI, (current - previous, current / previous - 1); None where undefined."""
    result: dict[str, tuple[float | None, float | None]] = {}
    for name in KPI_NAMES:
        now, before = getattr(current, name), getattr(previous, name)
        if now is None or before is None:
            result[name] = (None, None)
            continue
        relative = None if before == 0 else float(now) / float(before) - 1.0
        result[name] = (float(now) - float(before), relative)
    return result
