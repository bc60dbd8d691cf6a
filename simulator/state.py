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
    alive: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
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
        m = self.members
        return (m.join_day[rows] <= self.day) & (m.left_day[rows] >= self.day)
