"""A load test minute by minute: each minute's answers, failures and percentiles from the
locustfile's recorder, side by side with each worker's sampled memory, and their drift."""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType

from api.soak import MemorySampler, Minute, drift, read_minutes

ROOT = Path(__file__).resolve().parents[3]
START = 1_700_000_000.0


def _minutes_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "_loadtests_minutes", ROOT / "loadtests/minutes.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


minutes = _minutes_module()


def test_answers_fall_in_the_minute_they_started_in_and_start_up_queries_are_left_out() -> None:
    recorder = minutes.MinuteRecorder(skipped=frozenset({"LoadtestSeedIds"}))
    recorder.start(START)
    recorder.record("LoadtestSeedIds", START + 1, 900.0, False)
    for i in range(1, 101):
        recorder.record("Thread", START + 10, float(i), i > 98)
    recorder.record("Dashboard", START + 61, 40.0, False)
    first, second = recorder.rows()
    assert first == {
        "minute": 1,
        "started_at": START,
        "requests": 100,
        "failures": 2,
        "p50_ms": 51.0,
        "p95_ms": 95.0,
        "p99_ms": 99.0,
    }
    assert (second["minute"], second["started_at"], second["requests"]) == (2, START + 60, 1)


def test_each_minute_is_read_back_with_the_last_memory_sample_of_each_worker(
    tmp_path: Path,
) -> None:
    recorder = minutes.MinuteRecorder()
    recorder.start(START)
    for second in (5, 65, 125):
        recorder.record("Thread", START + second, 20.0, False)
    recorder.write(tmp_path / "locust_minutes.csv")
    mb = 1024 * 1024
    samples = [(5, 11, 100), (55, 11, 101), (55, 12, 90), (70, 11, 102), (130, 12, 95)]
    with (tmp_path / "server_memory.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("time", "pid", "rss_bytes"))
        writer.writerows((START + t, pid, rss * mb) for t, pid, rss in samples)
    read = read_minutes(tmp_path / "locust_minutes.csv", tmp_path / "server_memory.csv")
    assert [m.rss_mb for m in read] == [{11: 101.0, 12: 90.0}, {11: 102.0}, {12: 95.0}]
    assert [(m.index, m.requests, m.p95) for m in read] == [
        (1, 1, 20.0),
        (2, 1, 20.0),
        (3, 1, 20.0),
    ]


def _minute(index: int, requests: int, p95: float, rss: float) -> Minute:
    return Minute(index, requests, 0, p95 / 2, p95, p95 * 1.5, {7: rss})


def test_the_drift_is_taken_between_the_first_and_last_full_minutes() -> None:
    run = [
        _minute(1, 300, 900.0, 150.0),  # the ramp-up: cut short, slow
        _minute(2, 1000, 100.0, 200.0),
        _minute(3, 1000, 120.0, 201.0),
        _minute(4, 1000, 110.0, 203.0),
        _minute(5, 10, 5.0, 400.0),  # the run's last seconds
    ]
    moved = drift(run)
    assert moved is not None
    assert (moved.first_p95, moved.last_p95, moved.median_p95) == (100.0, 110.0, 110.0)
    assert moved.rss_mb == {7: (200.0, 203.0)}


def test_a_run_of_one_full_minute_has_no_drift() -> None:
    assert drift([_minute(1, 1000, 100.0, 200.0)]) is None


def test_the_memory_sampler_notes_a_lone_servers_own_memory(tmp_path: Path) -> None:
    path = tmp_path / "server_memory.csv"
    with MemorySampler(os.getpid(), path, every=0.05):
        time.sleep(0.3)
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 2
    assert {int(row["pid"]) for row in rows} == {os.getpid()}
    assert all(int(row["rss_bytes"]) > 10 * 1024 * 1024 for row in rows)
