"""What a soak test watches minute by minute: latency, failures and each worker's memory.

Issue 7's soak (ten minutes of the mixed load at 70% of peak) passes with zero failures, a
steady p95 and flat memory per worker. Locust's per-minute figures come from the locustfile
(`loadtests/minutes.py`, `<prefix>_minutes.csv`); `MemorySampler` notes the resident memory of
each server worker every few seconds into `server_memory.csv`; `read_minutes` puts the two side
by side, one `Minute` per row, and `drift` says how much p95 and memory moved.
"""

from __future__ import annotations

import csv
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

MEGABYTE = 1024 * 1024


def worker_processes(pid: int) -> list[Any]:
    """The processes that serve requests for the server `pid`: its spawned workers, or the
    process itself when it serves alone (one worker)."""
    import psutil

    root = psutil.Process(pid)
    workers = []
    for child in root.children(recursive=True):
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                workers.append(child)
        except psutil.NoSuchProcess:
            continue
    return workers or [root]


class MemorySampler:
    """Every `every` seconds, until the block ends, the resident memory (RSS) of each worker of
    the server `pid`, written to `path` as CSV rows (time, pid, rss_bytes)."""

    def __init__(self, pid: int, path: Path, every: float = 5.0) -> None:
        self.pid = pid
        self.path = path
        self.every = every
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._sample, name="memory-sampler", daemon=True)

    def __enter__(self) -> MemorySampler:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stopped.set()
        self.thread.join()

    def _sample(self) -> None:
        import psutil

        with self.path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(("time", "pid", "rss_bytes"))
            while not self.stopped.is_set():
                now = time.time()
                for worker in worker_processes(self.pid):
                    try:
                        writer.writerow((f"{now:.3f}", worker.pid, worker.memory_info().rss))
                    except psutil.NoSuchProcess:
                        continue
                handle.flush()
                self.stopped.wait(self.every)


@dataclass(frozen=True)
class Minute:
    """One minute of a load test: its answers and percentiles (ms), and each worker's resident
    memory (MB, pid -> the last sample of the minute)."""

    index: int
    requests: int
    failures: int
    p50: float
    p95: float
    p99: float
    rss_mb: dict[int, float] = field(default_factory=dict)


def read_minutes(minutes_csv: Path, memory_csv: Path | None = None) -> list[Minute]:
    """The locustfile's minutes, each with the memory sampled while it ran."""
    with minutes_csv.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    samples = _memory_samples(memory_csv) if memory_csv and memory_csv.exists() else []
    minutes = []
    for row in rows:
        start = float(row["started_at"])
        last: dict[int, float] = {}
        for moment, pid, rss in samples:
            if start <= moment < start + 60:
                last[pid] = rss / MEGABYTE
        minutes.append(
            Minute(
                index=int(row["minute"]),
                requests=int(row["requests"]),
                failures=int(row["failures"]),
                p50=float(row["p50_ms"]),
                p95=float(row["p95_ms"]),
                p99=float(row["p99_ms"]),
                rss_mb=last,
            )
        )
    return minutes


def _memory_samples(path: Path) -> list[tuple[float, int, int]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            (float(row["time"]), int(row["pid"]), int(row["rss_bytes"]))
            for row in csv.DictReader(handle)
        ]


@dataclass(frozen=True)
class Drift:
    """How a run moved from its first full minute to its last: p95 (ms) and each worker's
    memory (MB), with the median p95 of all full minutes for scale."""

    median_p95: float
    first_p95: float
    last_p95: float
    rss_mb: dict[int, tuple[float, float]]


def drift(minutes: list[Minute]) -> Drift | None:
    """The drift over the full minutes (a minute with under half the median minute's answers
    is a ramp-up or a run's cut-off end); None when fewer than two minutes are full."""
    typical = statistics.median(m.requests for m in minutes) if minutes else 0
    full = [m for m in minutes if m.requests >= typical / 2]
    if len(full) < 2:
        return None
    first, last = full[0], full[-1]
    return Drift(
        median_p95=statistics.median(m.p95 for m in full),
        first_p95=first.p95,
        last_p95=last.p95,
        rss_mb={
            pid: (first.rss_mb[pid], last.rss_mb[pid])
            for pid in sorted(first.rss_mb.keys() & last.rss_mb.keys())
        },
    )
