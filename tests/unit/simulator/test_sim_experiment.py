"""Experiments: intervals, paired differences, progress, process pool and Dask."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from simulator import builtin_scenario, run_experiment
from simulator.experiment import DASK_ENV
from simulator.stats import interval, paired_difference

TINY = {"members": 300, "days": 20}


def _scenario():
    return builtin_scenario("crisis-response").resized(**TINY).only(["fast-escalation", "silent"])


def test_a_t_interval_matches_a_hand_computation():
    iv = interval([1.0, 2.0, 3.0, 4.0])
    half = 3.182446305284263 * np.std([1, 2, 3, 4], ddof=1) / 2
    assert iv.mean == 2.5
    assert iv.low == pytest.approx(2.5 - half)
    assert iv.high == pytest.approx(2.5 + half)


def test_a_paired_difference_cancels_what_the_seeds_share():
    a, b = [10.0, 20.0, 30.0], [11.0, 21.0, 31.5]
    paired = paired_difference(a, b)
    assert paired.low > 0
    assert not interval(np.array(b) - np.mean(a)).excludes_zero


def test_every_strategy_runs_every_seed_and_reports_progress():
    calls = []
    result = run_experiment(_scenario(), 3, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (6, 6)
    assert {len(r) for r in result.runs.values()} == {3}
    summary = result.summary()["audience"]["silent"]
    assert summary.n == 3
    assert summary.low <= summary.mean <= summary.high


def test_a_process_pool_gives_the_same_numbers_as_running_inline():
    inline = run_experiment(_scenario(), 2, workers=1)
    pooled = run_experiment(_scenario(), 2, workers=2)
    for name in inline.strategies:
        np.testing.assert_array_equal(
            inline.values(name, "audience"), pooled.values(name, "audience")
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


ROOT = Path(__file__).resolve().parents[3]
CLIENT = """
import json
from simulator import builtin_scenario, run_experiment
scenario = builtin_scenario("crisis-response").resized(members=300, days=20)
result = run_experiment(scenario.only(["fast-escalation", "silent"]), 2)
print(json.dumps({name: result.values(name, "trust").tolist() for name in result.strategies}))
"""


def _start(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", *args, "--no-dashboard"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
def test_a_dask_cluster_runs_the_experiment_when_the_scheduler_is_set():
    # A real local cluster (scheduler and one worker in their own processes), as in production.
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{_free_port()}"
    port = address.rsplit(":", 1)[1]
    scheduler = _start("distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", port)
    worker = _start("distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1")
    try:
        # The client runs in a fresh interpreter, as the CLI or a service would.
        env = {**os.environ, "PYTHONPATH": str(ROOT), DASK_ENV: address}
        done = subprocess.run(
            [sys.executable, "-c", CLIENT], env=env, capture_output=True, text=True, timeout=180
        )
    finally:
        for process in (worker, scheduler):
            process.terminate()
            process.wait(timeout=30)
    assert done.returncode == 0, done.stderr[-2000:]
    via_dask = json.loads(done.stdout.strip().splitlines()[-1])
    inline = run_experiment(_scenario(), 2, workers=1)
    for name in inline.strategies:
        np.testing.assert_array_equal(inline.values(name, "trust"), via_dask[name])
