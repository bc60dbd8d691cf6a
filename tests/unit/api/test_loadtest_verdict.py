"""The load test's verdict: failures over 1% or a p95 over its threshold fail the run."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from api.loadtest import OperationStats, profile, read_stats, verdict

HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
)


def stats(name: str, requests: int, failures: int, p95: float) -> OperationStats:
    return OperationStats(name, requests, failures, 1.0, p95 / 2, p95, p95 * 1.5)


def test_locusts_csv_is_read_per_operation_and_in_total(tmp_path: Path) -> None:
    csv = tmp_path / "locust_stats.csv"
    csv.write_text(
        HEADER
        + "POST,Thread,120,1,40,45,10,300,9000,12.5,0.1,40,45,50,55,70,95,120,150,290,300,300\n"
        + ",Aggregated,120,1,40,45,10,300,9000,12.5,0.1,40,45,50,55,70,95,120,150,290,300,300\n"
        + "POST,Empty,0,0,0,0,0,0,0,0,0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A\n",
        encoding="utf-8",
    )
    thread, total, empty = read_stats(csv)
    assert thread == OperationStats("Thread", 120, 1, 12.5, 40.0, 95.0, 150.0)
    assert total.name == "Aggregated"
    assert empty.p95 == 0.0


def test_a_clean_fast_run_passes() -> None:
    run = [stats("Thread", 100, 0, 80), stats("Aggregated", 100, 0, 80)]
    assert verdict(run, 0.01, 1000) == []


def test_a_slow_operation_fails_the_run_by_name() -> None:
    run = [stats("Thread", 100, 0, 1500), stats("Aggregated", 100, 0, 1500)]
    assert verdict(run, 0.01, 1000) == ["Thread: p95 1500 ms is over 1000 ms"]


def test_the_start_up_query_is_not_held_to_the_latency_threshold() -> None:
    run = [stats("LoadtestSeedIds", 4, 0, 5000), stats("Aggregated", 4, 0, 5000)]
    assert verdict(run, 0.01, 1000) == []


def test_a_run_without_answers_fails() -> None:
    assert verdict([stats("Aggregated", 0, 0, 0)], 0.01, 1000) == ["no request was answered"]


@given(st.integers(1, 10_000), st.integers(0, 10_000))
def test_the_run_fails_exactly_when_failures_pass_one_percent(requests: int, failed: int) -> None:
    failed = min(failed, requests)
    run = [stats("Aggregated", requests, failed, 10)]
    assert bool(verdict(run, 0.01, 1000)) == (failed / requests > 0.01)


def test_named_sizes_come_from_the_simulator_sizes() -> None:
    assert profile("small").members == 2_000
    assert profile("large").members == 100_000
    assert profile("large").users > profile("small").users
