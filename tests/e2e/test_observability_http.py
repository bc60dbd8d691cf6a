"""Request ids, the JSON access log and the Prometheus metrics, seen over HTTP."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import orjson
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.ratelimit import MemoryBuckets
from api.settings import TrustSettings
from domain.db import Database

__all__ = ["acme", "api", "api_db", "http"]

NAMED = "query ObservedViewer { viewer { role } }"


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(orjson.loads(record.getMessage()))


@pytest.fixture
def access_lines() -> Iterator[list[dict[str, object]]]:
    handler = Lines()
    logger = logging.getLogger("townsquare.access")
    logger.addHandler(handler)
    try:
        yield handler.lines
    finally:
        logger.removeHandler(handler)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the Prometheus text `text`, 0 when absent."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


async def metrics(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_every_response_carries_a_fresh_request_id(api: Api) -> None:
    first = await api.client.post("/graphql", json={"query": NAMED}, headers=api.headers())
    second = await api.client.get("/healthz")
    ids = {first.headers["X-Request-Id"], second.headers["X-Request-Id"]}
    assert len(ids) == 2
    assert all(len(i) == 32 for i in ids)


async def test_a_callers_sane_request_id_is_kept_and_a_strange_one_replaced(api: Api) -> None:
    kept = await api.client.post(
        "/graphql",
        json={"query": NAMED},
        headers={**api.headers(), "X-Request-Id": "lb-7f3a.42:1"},
    )
    assert kept.headers["X-Request-Id"] == "lb-7f3a.42:1"
    replaced = await api.client.get("/healthz", headers={"X-Request-Id": 'a b"<script>'})
    assert replaced.headers["X-Request-Id"] != 'a b"<script>'
    assert len(replaced.headers["X-Request-Id"]) == 32


async def test_each_request_writes_one_json_line_with_its_id_and_key_id_but_never_the_key(
    api: Api, acme: Tenant, access_lines: list[dict[str, object]]
) -> None:
    response = await api.client.post("/graphql", json={"query": NAMED}, headers=api.headers())
    assert len(access_lines) == 1
    line = access_lines[0]
    assert line["request_id"] == response.headers["X-Request-Id"]
    assert line["operation"] == "ObservedViewer"
    assert line["status"] == 200
    assert line["outcome"] == "ok"
    assert isinstance(line["key_id"], int)
    assert isinstance(line["duration_ms"], float)
    cost = line["cost"]
    assert isinstance(cost, dict)
    assert cost["requestedQueryCost"] >= 1
    assert acme.key not in orjson.dumps(line).decode()


async def test_an_operation_name_sent_beside_the_query_names_the_line(
    api: Api, access_lines: list[dict[str, object]]
) -> None:
    document = "query A { viewer { role } } query B { viewer { organization { name } } }"
    body = {"query": document, "operationName": "B"}
    await api.client.post("/graphql", json=body, headers=api.headers())
    assert access_lines[0]["operation"] == "B"


async def test_a_refused_key_is_logged_as_refused_without_a_key_id(
    http: httpx.AsyncClient, access_lines: list[dict[str, object]]
) -> None:
    response = await http.post(
        "/graphql", json={"query": NAMED}, headers={"Authorization": "Bearer tsq_nope"}
    )
    assert response.status_code == 401
    line = access_lines[0]
    assert line["outcome"] == "refused"
    assert line["error_codes"] == ["UNAUTHENTICATED"]
    assert line["key_id"] is None


async def test_metrics_count_requests_errors_and_latency_per_operation_name(api: Api) -> None:
    before = await metrics(api.client)
    await api.client.post("/graphql", json={"query": NAMED}, headers=api.headers())
    bad = "query ObservedBroken { viewer { nope } }"
    await api.client.post("/graphql", json={"query": bad}, headers=api.headers())
    after = await metrics(api.client)

    def grew(name: str, **labels: str) -> float:
        return sample(after, name, **labels) - sample(before, name, **labels)

    assert grew("townsquare_graphql_requests_total", operation="ObservedViewer", outcome="ok") == 1
    assert (
        grew("townsquare_graphql_requests_total", operation="ObservedBroken", outcome="error") == 1
    )
    code = "GRAPHQL_VALIDATION_FAILED"
    assert grew("townsquare_graphql_errors_total", operation="ObservedBroken", code=code) == 1
    latency = "townsquare_graphql_request_duration_seconds_count"
    assert grew(latency, operation="ObservedViewer") == 1
    assert sample(after, "townsquare_db_pool_connections", state="checked_out") >= 0


async def test_metrics_count_rate_limit_rejections(api_db: Database, acme: Tenant) -> None:
    limiter = MemoryBuckets(1, 0.5, clock=lambda: 0.0)
    app = create_app(api_db, TrustSettings(bucket_size=1, restore_rate=0.5), limiter)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        headers = {"Authorization": f"Bearer {acme.key}"}
        before = await metrics(client)
        for _ in range(3):
            await client.post("/graphql", json={"query": NAMED}, headers=headers)
        after = await metrics(client)
    name = "townsquare_rate_limit_rejections_total"
    assert sample(after, name) - sample(before, name) == 2


async def test_metrics_ask_for_the_token_when_one_is_configured(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOWNSQUARE_METRICS_TOKEN", "s3cret")
    assert (await api.client.get("/metrics")).status_code == 401
    wrong = await api.client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = await api.client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert right.status_code == 200
