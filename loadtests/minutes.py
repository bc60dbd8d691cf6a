"""Each minute of a Locust run on its own: answers, failures and latency percentiles.

Locust's reports hold the whole run (`_stats.csv`) and, each second, percentiles over the last
ten seconds (`_stats_history.csv`). Whether p95 holds steady through a 10-minute soak needs
each minute's own percentiles: `MinuteRecorder` keeps every answer's time in the minute it
started in (counted from the test's start) and writes one CSV row per minute. The locustfile
records into it when TOWNSQUARE_LOADTEST_MINUTES names the file to write (`townsquare
loadtest` sets it). Each distributed Locust worker writes only its own answers.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

FIELDS = ("minute", "started_at", "requests", "failures", "p50_ms", "p95_ms", "p99_ms")


def percentile(ordered: list[float], p: float) -> float:
    """The nearest-rank percentile of an ascending list (NaN when it is empty)."""
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


class MinuteRecorder:
    """Response times (ms) and failures by minute since `start`, except `skipped` operations
    (a user's start-up query)."""

    def __init__(self, skipped: frozenset[str] = frozenset()) -> None:
        self.skipped = skipped
        self.started_at = 0.0
        self.times: dict[int, list[float]] = defaultdict(list)
        self.failures: dict[int, int] = defaultdict(int)

    def start(self, at: float) -> None:
        self.started_at = at
        self.times.clear()
        self.failures.clear()

    def record(self, name: str, started_at: float, milliseconds: float, failed: bool) -> None:
        if name in self.skipped:
            return
        minute = max(0, int((started_at - self.started_at) // 60))
        self.times[minute].append(milliseconds)
        if failed:
            self.failures[minute] += 1

    def rows(self) -> list[dict[str, float]]:
        rows = []
        for minute in sorted(self.times):
            ordered = sorted(self.times[minute])
            rows.append(
                {
                    "minute": minute + 1,
                    "started_at": self.started_at + 60 * minute,
                    "requests": len(ordered),
                    "failures": self.failures[minute],
                    "p50_ms": percentile(ordered, 50),
                    "p95_ms": percentile(ordered, 95),
                    "p99_ms": percentile(ordered, 99),
                }
            )
        return rows

    def write(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=FIELDS)
            writer.writeheader()
            writer.writerows(self.rows())
