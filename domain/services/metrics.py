"""Metrics of communities and organizations: a summary of every KPI, a series, a comparison.

Reads only rollups and small slices of content (see domain/repositories/metrics.py); many
communities are answered by the same handful of queries, so a dashboard of twenty communities
costs no more statements than one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.metrics import (
    amplification_rate,
    applause_rate,
    conversation_rate,
    engagement_rate,
    net_sentiment,
)
from domain.metrics.report import (
    STICKINESS_DAYS,
    ListeningInputs,
    Summary,
    Totals,
    WindowInputs,
    summarize,
)
from domain.metrics.window import Granularity, Window
from domain.repositories.conversion_metrics import conversion_inputs
from domain.repositories.listening_metrics import listening_inputs
from domain.repositories.metrics import MetricsRepository, Question, Scope


@dataclass(frozen=True)
class MetricsQuery:
    window: Window
    granularity: Granularity = Granularity.DAY
    compare: Window | None = None
    # What the caller will read: the summary's KPIs by name (None: all of them) and whether
    # the series. A dashboard of four KPIs skips the statements and the series it never shows.
    kpis: frozenset[str] | None = None
    series: bool = True

    def wants(self, *kpis: str) -> bool:
        return self.kpis is None or not self.kpis.isdisjoint(kpis)


# The inputs that only some KPIs need, each with the KPIs that read it (see `summarize`).
QUESTION_KPIS = ("response_rate", "median_first_response_seconds")
TOPIC_KPIS = ("strategy_alignment",)
RELATIONSHIP_KPIS = ("love", "trust")
LISTENING_KPIS = (
    "net_sentiment",
    "mentions",
    "response_rate",
    "median_first_response_seconds",
    "escalations",
    "escalation_sla",
    "median_escalation_response_seconds",
)
CONVERSION_KPIS = ("conversions", "conversion_value", "roi")


@dataclass(frozen=True)
class Point:
    """One bucket of a series: its additive totals and the rates computed from them."""

    window: Window
    totals: Totals
    active_members: int
    audience: int

    @property
    def engagement_rate(self) -> float:
        t = self.totals
        return engagement_rate(t.likes, t.comments, t.shares, self.audience)

    @property
    def amplification_rate(self) -> float:
        return amplification_rate(self.totals.shares, self.totals.posts)

    @property
    def conversation_rate(self) -> float:
        return conversation_rate(self.totals.comments, self.totals.posts)

    @property
    def applause_rate(self) -> float:
        return applause_rate(self.totals.likes, self.totals.posts)

    @property
    def net_sentiment(self) -> float:
        t = self.totals
        return net_sentiment(t.positive_voices, t.negative_voices, t.voices)


@dataclass(frozen=True)
class Report:
    query: MetricsQuery
    summary: Summary
    series: list[Point]
    previous: Summary | None


@dataclass
class _Window:
    """What the queries returned for one key over one window."""

    inputs: WindowInputs
    days: dict[date, Totals]


class MetricsService:
    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.repo = MetricsRepository(session, organization_id)

    async def reports(
        self, scope: Scope, keys: Sequence[int], query: MetricsQuery
    ) -> dict[int, Report]:
        """The report of every key (community ids, or the organization's id) for `query`."""
        current = await self._windows(scope, keys, query.window, query)
        previous = await self._windows(scope, keys, query.compare, query) if query.compare else None
        if query.series:
            series = await self._series(scope, keys, query, current)
        else:
            series = {key: [] for key in keys}
        return {
            key: Report(
                query=query,
                summary=summarize(current[key].inputs),
                series=series[key],
                previous=summarize(previous[key].inputs) if previous is not None else None,
            )
            for key in keys
        }

    async def _windows(
        self, scope: Scope, keys: Sequence[int], window: Window, query: MetricsQuery
    ) -> dict[int, _Window]:
        trailing = window.trailing(STICKINESS_DAYS)
        repo = self.repo
        daily = await repo.daily_totals(scope, keys, window)
        audience = await repo.audience(scope, keys, window)
        active = await repo.distinct_active(scope, keys, window, trailing)
        if scope is Scope.COMMUNITY:
            # A community's daily actives are exact in its rollup rows.
            trailing_daily = {
                k: [t.daily_active for d, t in daily.get(k, {}).items() if d >= trailing.first]
                for k in keys
            }
        else:
            by_day = await repo.active_by_bucket(scope, keys, trailing.buckets(Granularity.DAY))
            trailing_daily = {k: list(by_day.get(k, {}).values()) for k in keys}
        session, organization = repo.session, repo.organization_id
        wants = query.wants
        questions = await repo.questions(scope, keys, window) if wants(*QUESTION_KPIS) else {}
        topics = await repo.topic_volume(scope, keys, window) if wants(*TOPIC_KPIS) else {}
        relationship = await repo.relationship(scope, keys) if wants(*RELATIONSHIP_KPIS) else {}
        heard = (
            await listening_inputs(session, organization, scope, keys, window)
            if wants(*LISTENING_KPIS)
            else {}
        )
        converted = (
            await conversion_inputs(session, organization, scope, keys, window)
            if wants(*CONVERSION_KPIS)
            else {}
        )
        found = {}
        for key in keys:
            days = daily.get(key, {})
            start, end = audience.get(key, (0, 0))
            distinct, late = active.get(key, (0, 0))
            asked = questions.get(key, [])
            volume = topics.get(key, [])
            love, trust = relationship.get(key, (0.0, 0.0))
            inputs = WindowInputs(
                totals=sum(days.values(), Totals()),
                audience_start=start,
                audience_end=end,
                active_members=distinct,
                # Days without activity count as zero actives, not as missing days.
                trailing_daily_active=_padded(trailing_daily[key], trailing.days),
                trailing_active_members=late,
                questions_asked=len(asked),
                questions_answered=sum(q.answered is not None for q in asked),
                response_seconds=_response_seconds(asked),
                topic_volume=[v for v, _ in volume],
                topic_advantage=[a for _, a in volume],
                love=love,
                trust=trust,
                listening=heard.get(key, ListeningInputs()),
                conversions=converted.get(key, (0, 0.0))[0],
                conversion_value=converted.get(key, (0, 0.0))[1],
            )
            found[key] = _Window(inputs, dict(days))
        return found

    async def _series(
        self, scope: Scope, keys: Sequence[int], query: MetricsQuery, current: dict[int, _Window]
    ) -> dict[int, list[Point]]:
        buckets = query.window.buckets(query.granularity)
        exact_daily = scope is Scope.COMMUNITY and query.granularity is Granularity.DAY
        active = {} if exact_daily else await self.repo.active_by_bucket(scope, keys, buckets)
        series: dict[int, list[Point]] = {}
        for key in keys:
            window = current[key]
            audience = window.inputs.audience_start
            points = []
            for index, bucket in enumerate(buckets):
                totals = _sum_days(window.days, bucket)
                audience += totals.audience_delta
                actives = totals.daily_active if exact_daily else active.get(key, {}).get(index, 0)
                points.append(Point(bucket, totals, actives, audience))
            series[key] = points
        return series


def _sum_days(days: dict[date, Totals], bucket: Window) -> Totals:
    total, day = Totals(), bucket.first
    while day <= bucket.last:
        found = days.get(day)
        if found is not None:
            total = total + found
        day += timedelta(days=1)
    return total


def _padded(values: list[int], days: int) -> list[int]:
    return values + [0] * max(0, days - len(values))


def _response_seconds(questions: Sequence[Question]) -> list[float]:
    return [(q.answered - q.asked).total_seconds() for q in questions if q.answered is not None]
