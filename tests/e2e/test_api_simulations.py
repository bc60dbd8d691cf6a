"""Simulations over the API: a tiny run finishes in the background with intervals and
differences, progress is live, bad requests are user errors that write nothing, the caps hold,
and runs a dead server left behind are failed when a server starts."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts
from live_harness import Http, live, served
from sqlalchemy import select

from api.app import create_app
from api.ids import encode_id
from api.settings import TrustSettings
from domain.db import Database
from domain.events import SIMULATION_FINISHED, DomainEvent
from domain.simulations.tables import Simulation as SimulationRow
from domain.timeutil import utcnow

__all__ = ["acme", "api", "api_db", "http"]

RUN = """mutation R($input: SimulationRunInput!) {
  simulationRun(input: $input) {
    simulation { id status scenario strategies seeds days members progress { done total } }
    userErrors { field message code }
  }
}"""
SIMULATION = """query S($id: ID!) { node(id: $id) { ... on Simulation {
  status error progress { done total fraction }
  summary {
    kpis strategies
    estimates { kpi strategy mean low high n }
    differences { kpi baseline strategy mean low high n excludesZero }
  }
} } }"""
PROGRESS = """subscription S($id: ID!) {
  simulationProgress(id: $id) { status progress { done } }
}"""
TINY = {
    "scenario": "crisis-response",
    "strategies": ["fast-escalation", "silent"],
    "seeds": 2,
    "days": 8,
    "members": 120,
}


async def _finished(client: Http, simulation_id: str, seconds: float = 180) -> dict[str, Any]:
    for _ in range(int(seconds / 0.5)):
        node: dict[str, Any] = (await client.data(SIMULATION, id=simulation_id))["node"]
        if node["status"] in {"SUCCEEDED", "FAILED"}:
            return node
        await asyncio.sleep(0.5)
    raise AssertionError(f"simulation {simulation_id} did not finish in {seconds} s")


async def test_a_tiny_run_finishes_with_kpi_means_intervals_and_differences(
    api_db: Database, acme: Tenant
) -> None:
    app = create_app(api_db, TrustSettings(), deliver_webhooks=False)
    async with served(app) as base:
        client = Http(base, acme.key)
        made = (await client.data(RUN, input=TINY))["simulationRun"]
        assert made["userErrors"] == []
        queued = made["simulation"]
        assert queued["status"] in {"QUEUED", "RUNNING"}
        assert queued["progress"] == {"done": 0, "total": 4}
        async with live(base, acme.key) as watcher:
            operation = await watcher.subscribe(PROGRESS, id=queued["id"])
            done = await _finished(client, queued["id"])
            heard = [d["simulationProgress"] for d in await watcher.drain(operation, 1.0)]
        listed = await client.data("{ simulations(first: 5) { totalCount nodes { id } } }")
    assert done["status"] == "SUCCEEDED", done["error"]
    assert done["progress"] == {"done": 4, "total": 4, "fraction": 1.0}
    summary = done["summary"]
    assert summary["strategies"] == ["fast-escalation", "silent"]
    by_key = {(e["kpi"], e["strategy"]): e for e in summary["estimates"]}
    assert len(by_key) == 2 * len(summary["kpis"])
    for strategy in ("fast-escalation", "silent"):
        trust = by_key[("trust", strategy)]
        assert trust["n"] == 2
        assert trust["low"] <= trust["mean"] <= trust["high"]
    differences = {d["kpi"]: d for d in summary["differences"]}
    assert set(differences) == set(summary["kpis"])
    trust_gap = differences["trust"]
    assert (trust_gap["baseline"], trust_gap["strategy"]) == ("fast-escalation", "silent")
    expected = by_key[("trust", "silent")]["mean"] - by_key[("trust", "fast-escalation")]["mean"]
    assert abs(trust_gap["mean"] - expected) < 1e-9
    assert trust_gap["low"] <= trust_gap["mean"] <= trust_gap["high"]
    # Progress was live, whenever the watcher joined; the last word is the finish.
    assert heard, "the progress subscription heard nothing"
    assert heard[-1]["status"] == "SUCCEEDED"
    assert listed["simulations"]["totalCount"] == 1
    assert listed["simulations"]["nodes"][0]["id"] == queued["id"]
    async with api_db.session() as session:
        finished = (
            await session.scalars(
                select(DomainEvent).where(DomainEvent.name == SIMULATION_FINISHED)
            )
        ).all()
    assert [(e.subject_type, e.payload["status"]) for e in finished] == [
        ("Simulation", "succeeded")
    ]


async def test_an_unknown_scenario_or_strategy_or_an_oversized_run_is_a_user_error(
    api: Api, api_db: Database
) -> None:
    before = await row_counts(api_db)
    cases = [
        ({**TINY, "scenario": "moon-landing"}, ["input", "scenario"], "UNKNOWN_SCENARIO"),
        (
            {**TINY, "strategies": ["silent", "shout"]},
            ["input", "strategies", "1"],
            "UNKNOWN_STRATEGY",
        ),
        ({**TINY, "seeds": 500}, ["input", "seeds"], "OUT_OF_RANGE"),
        ({**TINY, "members": 2_000_000}, ["input", "members"], "OUT_OF_RANGE"),
        ({**TINY, "days": 0}, ["input", "days"], "OUT_OF_RANGE"),
        ({**TINY, "strategies": []}, ["input", "strategies"], "BLANK"),
        (
            {**TINY, "members": 5000, "days": 365, "seeds": 20},
            ["input", "members"],
            "OUT_OF_RANGE",
        ),
    ]
    for request, field, code in cases:
        payload = (await api.data(RUN, input=request))["simulationRun"]
        assert payload["simulation"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)], request
    named = (await api.data(RUN, input={**TINY, "scenario": "moon-landing"}))["simulationRun"]
    assert "moon-landing" in named["userErrors"][0]["message"]
    assert "crisis-response" in named["userErrors"][0]["message"]
    assert await row_counts(api_db) == before


async def test_an_organization_may_have_only_three_runs_waiting(api: Api) -> None:
    for _ in range(3):
        assert (await api.data(RUN, input=TINY))["simulationRun"]["userErrors"] == []
    refused = (await api.data(RUN, input=TINY))["simulationRun"]
    assert [e["code"] for e in refused["userErrors"]] == ["TOO_MANY_ACTIVE"]


async def test_runs_left_behind_by_a_dead_server_are_failed_when_a_server_starts(
    api_db: Database, acme: Tenant
) -> None:
    silent = utcnow() - timedelta(minutes=10)
    async with api_db.session() as session:
        orphan = SimulationRow(
            organization_id=acme.organization_id,
            scenario="crisis-response",
            strategies=["silent"],
            seeds=2,
            days=5,
            members=100,
            status="running",
            total=2,
            done=1,
            runner="gone:1:dead",
            heartbeat_at=silent,
            started_at=silent,
        )
        session.add(orphan)
        await session.commit()
        assert orphan.id is not None
    async with served(create_app(api_db, TrustSettings(), deliver_webhooks=False)) as base:
        node = (await Http(base, acme.key).data(SIMULATION, id=encode_id("Simulation", orphan.id)))[
            "node"
        ]
    assert node["status"] == "FAILED"
    assert "stopped" in node["error"]
    assert node["summary"] is None


async def test_another_organizations_simulation_is_an_unknown_id(
    http: httpx.AsyncClient, api: Api, api_db: Database
) -> None:
    from api_harness import tenant

    made = (await api.data(RUN, input=TINY))["simulationRun"]["simulation"]
    globex = await tenant(api_db, "globex")
    theirs = Api(http, globex.key)
    assert (await theirs.data(SIMULATION, id=made["id"]))["node"] is None
    listed = await theirs.data("{ simulations(first: 5) { totalCount } }")
    assert listed["simulations"]["totalCount"] == 0
