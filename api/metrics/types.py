"""GraphQL types of metrics: windows in, a summary of every KPI, a series and a comparison out."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from domain.metrics.report import KPI_NAMES, Summary, changes
from domain.metrics.window import Granularity, Window
from domain.services.metrics import MetricsQuery, Point, Report


@strawberry.input(description="A time window; metrics count whole UTC days, `to` excluded.")
class MetricsWindowInput:
    from_: datetime = strawberry.field(name="from", description="Start, included.")
    to: datetime = strawberry.field(description="End, excluded (midnight excludes that day).")

    def to_domain(self, field: str) -> Window:
        return Window.between(self.from_, self.to, field)


@strawberry.type(description="The UTC days a metrics window covers, both included.")
class MetricsDays:
    first_day: date
    last_day: date

    @classmethod
    def of(cls, window: Window) -> MetricsDays:
        return cls(first_day=window.first, last_day=window.last)


@strawberry.type(description="Every KPI of a window; docs/METRICS.md gives each formula.")
class MetricsSummary:
    audience_size: int = strawberry.field(description="Active memberships at the window's end.")
    active_members: int = strawberry.field(description="Distinct members who engaged.")
    stickiness: float = strawberry.field(description="DAU / MAU over the last 30 days, 0 to 1.")
    posts: int = strawberry.field(description="Top-level content published.")
    engagements: int
    likes: int
    comments: int
    shares: int
    engagement_rate: float = strawberry.field(
        description="(likes + comments + shares) / audience size."
    )
    amplification_rate: float = strawberry.field(description="Shares per post.")
    conversation_rate: float = strawberry.field(description="Comments per post.")
    applause_rate: float = strawberry.field(description="Likes per post.")
    quality_weighted_engagement: float = strawberry.field(
        description="Engagements weighted by the engager's influence and interest match."
    )
    net_sentiment: float = strawberry.field(
        description=(
            "% positive - % negative over comments, replies and (for an organization) "
            "mentions, -100 to 100."
        )
    )
    mentions: int = strawberry.field(
        description="Mentions of the brand heard in the window (organizations only)."
    )
    response_rate: float = strawberry.field(
        description="Share of questions, and of mentioned complaints and questions, answered."
    )
    median_first_response_seconds: float | None = strawberry.field(
        description="Median seconds to the first answer; null when none was answered."
    )
    escalations: int = strawberry.field(description="Escalations opened in the window.")
    escalation_sla: float | None = strawberry.field(
        description="Share of those escalations answered within their target; null with none."
    )
    median_escalation_response_seconds: float | None = strawberry.field(
        description="Median seconds from escalation to the expert's first response."
    )
    joins: int
    churned: int
    churn_rate: float = strawberry.field(description="Churned / audience at the window's start.")
    love: float = strawberry.field(description="Mean love of active memberships, now.")
    trust: float = strawberry.field(description="Mean trust of active memberships, now.")
    strategy_alignment: float = strawberry.field(
        description="Share of conversation on strategic topics, weighted by advantage."
    )
    conversions: int = strawberry.field(description="Conversions recorded in the window.")
    conversion_value: float
    roi: float | None = strawberry.field(description="Value / cost; null when nothing was spent.")

    @classmethod
    def of(cls, summary: Summary) -> MetricsSummary:
        return cls(**{name: getattr(summary, name) for name in KPI_NAMES})


@strawberry.type(description="One bucket of a metrics series.")
class MetricsPoint:
    days: MetricsDays
    posts: int
    replies: int
    views: int
    likes: int
    comments: int
    shares: int
    clicks: int
    engagements: int
    quality_weighted_engagement: float
    active_members: int = strawberry.field(description="Distinct members who engaged in it.")
    audience_size: int = strawberry.field(description="Active memberships at its end.")
    joins: int
    churned: int
    engagement_rate: float
    amplification_rate: float
    conversation_rate: float
    applause_rate: float
    net_sentiment: float

    @classmethod
    def of(cls, point: Point) -> MetricsPoint:
        t = point.totals
        return cls(
            days=MetricsDays.of(point.window),
            posts=t.posts, replies=t.replies, views=t.views, likes=t.likes, comments=t.comments,
            shares=t.shares, clicks=t.clicks, engagements=t.engagements,
            quality_weighted_engagement=t.quality_weighted, active_members=point.active_members,
            audience_size=point.audience, joins=t.joins, churned=t.churns,
            engagement_rate=point.engagement_rate, amplification_rate=point.amplification_rate,
            conversation_rate=point.conversation_rate, applause_rate=point.applause_rate,
            net_sentiment=point.net_sentiment,
        )  # fmt: skip


@strawberry.type(description="How one KPI moved from the comparison window to this one.")
class KpiChange:
    kpi: str = strawberry.field(description="The summary field, e.g. engagementRate.")
    current: float | None
    previous: float | None
    delta: float | None = strawberry.field(description="current - previous.")
    relative_change: float | None = strawberry.field(
        description="current / previous - 1; null when previous is 0 or null."
    )


@strawberry.type(description="The comparison window's summary and the change of every KPI.")
class MetricsComparison:
    days: MetricsDays
    summary: MetricsSummary
    changes: list[KpiChange]


@strawberry.type(description="KPIs of a window: a summary, a series, and an optional comparison.")
class MetricsReport:
    days: MetricsDays
    granularity: Granularity
    summary: MetricsSummary
    series: list[MetricsPoint]
    comparison: MetricsComparison | None

    @classmethod
    def of(cls, report: Report) -> MetricsReport:
        query = report.query
        return cls(
            days=MetricsDays.of(query.window),
            granularity=query.granularity,
            summary=MetricsSummary.of(report.summary),
            series=[MetricsPoint.of(p) for p in report.series],
            comparison=_comparison(report),
        )


def _comparison(report: Report) -> MetricsComparison | None:
    if report.previous is None or report.query.compare is None:
        return None
    moved = changes(report.summary, report.previous)
    return MetricsComparison(
        days=MetricsDays.of(report.query.compare),
        summary=MetricsSummary.of(report.previous),
        changes=[
            KpiChange(
                kpi=_camel(name),
                current=_number(getattr(report.summary, name)),
                previous=_number(getattr(report.previous, name)),
                delta=delta,
                relative_change=relative,
            )
            for name, (delta, relative) in moved.items()
        ],
    )


def _number(value: float | int | None) -> float | None:
    return None if value is None else float(value)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def metrics_query(
    window: MetricsWindowInput,
    granularity: Granularity,
    compare_to: MetricsWindowInput | None,
    kpis: frozenset[str] | None = None,
    series: bool = True,
) -> MetricsQuery:
    return MetricsQuery(
        window=window.to_domain("window"),
        granularity=granularity,
        compare=compare_to.to_domain("compareTo") if compare_to is not None else None,
        kpis=kpis,
        series=series,
    )
