"""A simulation whose worker process dies is failed with the reason, and the next run succeeds
on a new worker (the server does not keep a broken process pool)."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from api_harness import Tenant, acme, api_db
from live_harness import Http, served

from api.app import create_app
from api.settings import TrustSettings
from domain.db import Database

__all__ = ["acme", "api_db"]

RUN = """mutation R($input: SimulationRunInput!) {
  simulationRun(input: $input) { simulation { id } userErrors { code message } }
}"""
STATUS = """query S($id: ID!) { node(id: $id) { ... on Simulation {
  status error progress { done total }
} } }"""
# Ten runs of a year of 5,000 members: seconds of work, so the worker is killed mid-run.
LONG = {
    "scenario": "crisis-response",
    "strategies": ["fast-escalation", "silent"],
    "seeds": 5,
    "days": 365,
    "members": 5000,
}
TINY = {**LONG, "seeds": 2, "days": 8, "members": 120}


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    # What is under test is the process pool, which is the same whatever the database.
    return sqlite_url


def _spawned_workers() -> list[int]:
    """Pids of this process's children started by multiprocessing's spawn (pool workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"spawn_main" in command:
            pids.append(int(entry.name))
    return pids


async def _a_worker(seconds: float = 60) -> int:
    for _ in range(int(seconds / 0.05)):
        if pids := _spawned_workers():
            return pids[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no simulation worker process started")


async def _finished(client: Http, simulation_id: str, seconds: float = 180) -> dict[str, Any]:
    for _ in range(int(seconds / 0.25)):
        node: dict[str, Any] = (await client.data(STATUS, id=simulation_id))["node"]
        if node["status"] in {"SUCCEEDED", "FAILED"}:
            return node
        await asyncio.sleep(0.25)
    raise AssertionError(f"simulation {simulation_id} did not finish in {seconds} s")


async def _start(client: Http, request: dict[str, Any]) -> str:
    made = (await client.data(RUN, input=request))["simulationRun"]
    assert made["userErrors"] == []
    simulation_id: str = made["simulation"]["id"]
    return simulation_id


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers through /proc")
async def test_a_run_whose_worker_is_killed_fails_with_the_reason_and_the_next_run_succeeds(
    api_db: Database, acme: Tenant
) -> None:
    app = create_app(api_db, TrustSettings(), deliver_webhooks=False)
    async with served(app) as base:
        client = Http(base, acme.key)
        doomed = await _start(client, LONG)
        os.kill(await _a_worker(), signal.SIGKILL)
        failed = await _finished(client, doomed)
        again = await _start(client, TINY)
        done = await _finished(client, again)
    assert failed["status"] == "FAILED"
    assert "worker process" in failed["error"]
    assert "killed" in failed["error"]
    assert failed["progress"]["done"] < failed["progress"]["total"]
    assert done["status"] == "SUCCEEDED", done["error"]
    assert done["progress"] == {"done": 4, "total": 4}
