"""Negative-snowball alerts: a topic's negative mentions rising well past their usual rate.

For each topic a negative mention is tagged with, the count over the last window (an hour by
default) is compared with the trailing baseline (the mean count per window over the previous
7 days). An alert is raised when the count reaches the minimum (one angry mention is not a
snowball) and exceeds `ratio` times the baseline. While its alert is open a topic raises no
other; the episode ends at the first evaluation that finds the rate back below the threshold,
after which a new rise raises a new alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from domain.db import transaction
from domain.errors import Conflict
from domain.events import ALERT_RAISED, emit
from domain.listening.enums import AlertStatus
from domain.listening.repositories import AlertRepository, MentionRepository, SettingsRepository
from domain.listening.tables import Alert, ListeningSettings
from domain.pagination import Page, PageRequest
from domain.timeutil import utcnow

# A topic never mentioned before has a baseline of zero; rising "past zero" would make every
# first mention a snowball, so the baseline counts as at least this much per window.
BASELINE_FLOOR = 1.0


@dataclass(frozen=True)
class Reading:
    """One topic's negative count in the window against its baseline per window."""

    topic_id: int
    window_count: int
    baseline_per_window: float

    def threshold(self, ratio: float) -> float:
        return ratio * max(self.baseline_per_window, BASELINE_FLOOR)

    def is_snowball(self, settings: ListeningSettings) -> bool:
        return self.window_count >= settings.snowball_min_count and self.window_count > (
            self.threshold(settings.snowball_ratio)
        )


def snowballing(window_count: int, baseline_per_window: float, ratio: float, minimum: int) -> bool:
    """The rule alone, for callers (and tests) with counts in hand."""
    reading = Reading(0, window_count, baseline_per_window)
    settings = ListeningSettings(
        organization_id=0, snowball_ratio=ratio, snowball_min_count=minimum
    )
    return reading.is_snowball(settings)


class SnowballWatch:
    def __init__(
        self,
        session: AsyncSession,
        organization_id: int,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.session = session
        self.organization_id = organization_id
        self.clock = clock
        self.mentions = MentionRepository(session, organization_id)
        self.alerts = AlertRepository(session, organization_id)

    async def readings(
        self, topic_ids: Sequence[int], settings: ListeningSettings
    ) -> list[Reading]:
        now = self.clock()
        window = timedelta(minutes=settings.snowball_window_minutes)
        start = now - window
        baseline_start = start - timedelta(days=settings.snowball_baseline_days)
        # A little slack past now: mentions stamped slightly ahead by a drifting clock count.
        recent = await self.mentions.negative_counts(topic_ids, start, now + timedelta(minutes=5))
        before = await self.mentions.negative_counts(topic_ids, baseline_start, start)
        windows = timedelta(days=settings.snowball_baseline_days) / window
        return [Reading(t, recent[t], before[t] / windows) for t in topic_ids]

    async def evaluate(self, topic_ids: Sequence[int]) -> list[Alert]:
        """Raise alerts for topics now snowballing and end episodes that calmed; the raised."""
        settings = await SettingsRepository(self.session, self.organization_id).get()
        readings = await self.readings(topic_ids, settings)
        try:
            async with transaction(self.session):
                return await self._apply(readings, settings)
        except Conflict:
            # Another writer raised the same topic's alert at the same moment: it stands.
            return []

    async def _apply(self, readings: Sequence[Reading], settings: ListeningSettings) -> list[Alert]:
        now = self.clock()
        open_alerts = await self.alerts.open_for([r.topic_id for r in readings])
        window = timedelta(minutes=settings.snowball_window_minutes)
        raised = []
        for reading in readings:
            current = open_alerts.get(reading.topic_id)
            snowball = reading.is_snowball(settings)
            # Not seen snowballing for a whole window: that episode is over, even if a new one
            # starts right now.
            stale = current is not None and current.last_seen_at < now - window
            if current is not None and (stale or not snowball):
                _end(current, now)
                await self.session.flush()
                current = None
            if not snowball:
                continue
            if current is not None:
                current.last_seen_at = now
                current.window_count = max(current.window_count, reading.window_count)
                continue
            raised.append(self._raise(reading, settings, now))
        await self.session.flush()
        for alert in raised:
            emit(
                self.session,
                organization_id=self.organization_id,
                name=ALERT_RAISED,
                payload={"alertId": alert.id, "topicId": alert.topic_id},
                subject_type="Alert",
                subject_id=alert.id,
            )
        return raised

    def _raise(self, reading: Reading, settings: ListeningSettings, now: datetime) -> Alert:
        baseline = max(reading.baseline_per_window, BASELINE_FLOOR)
        alert = Alert(
            organization_id=self.organization_id,
            topic_id=reading.topic_id,
            open_topic_id=reading.topic_id,
            status=AlertStatus.OPEN.value,
            window_count=reading.window_count,
            baseline_per_window=reading.baseline_per_window,
            ratio=reading.window_count / baseline,
            threshold=reading.threshold(settings.snowball_ratio),
            raised_at=now,
            last_seen_at=now,
        )
        self.session.add(alert)
        return alert


def _end(alert: Alert, now: datetime) -> None:
    alert.ended_at = now
    alert.open_topic_id = None
    alert.status = AlertStatus.ENDED.value


class AlertService:
    """Reading an organization's alerts, newest first."""

    def __init__(self, session: AsyncSession, organization_id: int) -> None:
        self.repo = AlertRepository(session, organization_id)

    async def get_many(self, alert_ids: Sequence[int]) -> dict[int, Alert]:
        return await self.repo.get_many(alert_ids)

    async def page(self, open_only: bool, request: PageRequest) -> Page[Alert]:
        return await self.repo.list_page(open_only, request)

    async def total(self, open_only: bool) -> int:
        return await self.repo.total(open_only)
