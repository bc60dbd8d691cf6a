"""`townsquare loadtest` end to end: seed, serve, Locust headless, reports, verdict (~30 s)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.slow
def test_a_short_small_load_test_writes_reports_and_passes(tmp_path: Path) -> None:
    out = tmp_path / "report"
    command = [
        sys.executable, "-m", "api.cli", "loadtest", "--scenario", "small",
        "--members", "200", "--users", "3", "--duration", "15s", "--out", str(out),
        # A shared CI machine is slow; this test checks the run, not the machine's speed.
        "--max-p95-ms", "30000",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "passed" in done.stdout
    with (out / "locust_stats.csv").open(encoding="utf-8") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    assert "LoadtestSeedIds" in rows
    assert int(rows["Aggregated"]["Request Count"]) > 3
    assert int(rows["Aggregated"]["Failure Count"]) == 0
    assert (out / "locust.html").stat().st_size > 0
    keys = json.loads((out / "keys.json").read_text(encoding="utf-8"))
    assert set(keys) == {"viewer", "manager", "ingestion"}
    # The server's access log names the operations Locust sent, with Locust's request ids.
    lines = [json.loads(x) for x in (out / "server.log").read_text().splitlines() if x[:1] == "{"]
    assert any(line.get("request_id", "").startswith("locust-") for line in lines)
    for key in keys["viewer"]:
        assert key not in (out / "server.log").read_text()


def test_an_unknown_scenario_is_refused(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "api.cli", "loadtest", "--scenario", "huge"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2


def test_an_unknown_persona_is_refused_before_anything_is_seeded(tmp_path: Path) -> None:
    out = tmp_path / "report"
    command = [
        sys.executable, "-m", "api.cli", "loadtest", "--personas", "DashboardReader,Robot",
        "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "unknown persona Robot" in done.stdout + done.stderr
    assert not out.exists()
