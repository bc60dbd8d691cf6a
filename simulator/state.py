"""The mutable state of one run, handed to each mechanism of the daily step."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from simulator.population import Members
from simulator.record import DayTally, EventLog
from simulator.scenario import Scenario, Strategy
from simulator.streams import Streams


@dataclass
class Pool:
    """Top-level posts visible in feeds: today's and yesterday's (feeds favour the recent)."""

    ids: npt.NDArray[np.int64]
    topic: npt.NDArray[np.int16]
    quality: npt.NDArray[np.float32]
    brand: npt.NDArray[np.bool_]
    day: npt.NDArray[np.int32]
    engaged: npt.NDArray[np.int64]
    reach: npt.NDArray[np.int64]

    @staticmethod
    def empty() -> Pool:
        return Pool(
            np.empty(0, np.int64), np.empty(0, np.int16), np.empty(0, np.float32),
            np.empty(0, np.bool_), np.empty(0, np.int32), np.empty(0, np.int64),
            np.empty(0, np.int64),
        )  # fmt: skip


@dataclass
class RunState:
    """Everything one run mutates: members, posts in feeds, tallies, logs and streams."""

    scenario: Scenario
    strategy: Strategy
    streams: Streams
    members: Members
    advantage: npt.NDArray[np.float32]
    alpha_mean: npt.NDArray[np.float64]
    log: EventLog
    influencers: npt.NDArray[np.int64]
    day: int = 0
    skill: float = 0.0
    next_post_id: int = 0
    market_joined: int = 0
    pool: Pool = field(default_factory=Pool.empty)
    tally: DayTally = field(init=False)
    flags: npt.NDArray[np.bool_] = field(init=False)
    """Scratch flags, one per row, reused each day instead of allocating."""
    scratch: npt.NDArray[np.float32] = field(init=False)
    """Scratch floats, one per row, reused each day instead of allocating."""
    positions: npt.NDArray[np.int64] = field(init=False)
    """Scratch positions, one per row, for removing repeats from a list of rows."""
    uniforms: npt.NDArray[np.float32] = field(init=False)
    """One uniform per row, drawn afresh by each mechanism that needs them (in turn)."""
    alive: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    """Rows that may act today, ascending; kept from day to day, not recomputed."""
    present: npt.NDArray[np.bool_] = field(init=False)
    """alive as one flag per row, for membership tests that cost one lookup."""
    staying: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    """Today's alive rows without today's leavers: tomorrow's alive before its arrivals."""
    active_on: npt.NDArray[np.int64] = field(init=False)
    """active_on[d]: alive members whose last activity was on day d (DAU and MAU counters)."""
    engaged: list[npt.NDArray[np.int64]] = field(default_factory=list)
    """Members the feeds made active today (not active before), batch by batch."""
    cohort: int = 0
    """Size of the day-0 cohort (initial members and bought followers)."""
    cohort_left: int = 0
    """Members of the day-0 cohort who have left so far (retention)."""
    leaving: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    """Today's leavers, ascending."""
    """Members of the day-0 cohort who have left so far (retention)."""
    retired_reach: list[npt.NDArray[np.int64]] = field(default_factory=list)
    prob_low: float = 0.0
    prob_high: float = 0.0
    brand_post_count: int = 0
    brand_post_engagements: int = 0
    top_level_posts: int = 0
    spent: float = 0.0
    budget_exhausted_day: int | None = None

    def __post_init__(self) -> None:
        self.tally = DayTally(len(self.scenario.topics))
        m = self.members
        self.present = m.join_day == 0
        self.alive = np.flatnonzero(self.present).astype(np.int64)
        self.staying = self.alive
        self.cohort = int(self.alive.size)
        self.active_on = np.zeros(self.scenario.days + 1, dtype=np.int64)
        self.flags = np.empty(m.capacity, dtype=np.bool_)
        self.scratch = np.empty(m.capacity, dtype=np.float32)
        self.uniforms = np.empty(m.capacity, dtype=np.float32)
        self.positions = np.empty(m.capacity, dtype=np.int64)

    @property
    def paid_levers_on(self) -> bool:
        """Ads and influencer outreach run until the budget cannot pay another day of them."""
        return self.budget_exhausted_day is None

    @property
    def n_topics(self) -> int:
        return len(self.scenario.topics)

    def new_ids(self, count: int) -> npt.NDArray[np.int64]:
        """Allocate consecutive post ids."""
        ids = np.arange(self.next_post_id, self.next_post_id + count, dtype=np.int64)
        self.next_post_id += count
        return ids

    def check(self, probabilities: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
        """Track the range of every probability drawn against, so tests can assert [0, 1]."""
        if probabilities.size:
            self.prob_low = min(self.prob_low, float(probabilities.min()))
            self.prob_high = max(self.prob_high, float(probabilities.max()))
        return probabilities

    def alive_mask(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Which rows may act today: joined on or before today and not yet gone."""
        return self.present[rows]

    def touch(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Mark rows (alive, repeats allowed) active today; return those not active before,
        once each, in no particular order.

        Moving each newly active member from the day of their last activity to today in
        active_on keeps DAU and MAU as counters, instead of a pass over every member a day.
        """
        m, day = self.members, self.day
        fresh = rows[m.last_active[rows] != day]
        if fresh.size == 0:
            return fresh
        # Repeats removed by remembering each row's last position: no sort, no hashing.
        order = np.arange(fresh.size)
        self.positions[fresh] = order
        fresh = fresh[self.positions[fresh] == order]
        self._forget(m.last_active[fresh])
        m.last_active[fresh] = day
        self.active_on[day] += fresh.size
        return fresh

    def _forget(self, last_days: npt.NDArray[np.int32]) -> None:
        """Take members whose last activity was on last_days out of the activity counters."""
        seen = last_days[last_days >= 0]
        if seen.size:
            self.active_on -= np.bincount(seen, minlength=self.active_on.size)

    def leave(self, rows: npt.NDArray[np.int64]) -> None:
        """Rows (alive, ascending) who leave at the end of today; they still count today."""
        m = self.members
        m.left_day[rows] = self.day
        self.present[rows] = False
        self.leaving = rows
        self.cohort_left += int(np.count_nonzero(m.join_day[rows] == 0))
        self.staying = np.delete(self.alive, np.searchsorted(self.alive, rows))

    def close_day(self) -> None:
        """After today's counts: today's leavers drop out of the activity counters."""
        self._forget(self.members.last_active[self.leaving])
        self.leaving = np.empty(0, np.int64)
