"""Conversions over HTTP: NDJSON ingestion (all or nothing, by line) and conversionRecord."""

from __future__ import annotations

import httpx
import orjson
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts

from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService

__all__ = ["acme", "api", "api_db", "http"]

MEMBER = """mutation { memberCreate(input: {handle: "buyer", displayName: "Buyer"}) {
  member { id } } }"""
RECORD = """mutation($input: ConversionRecordInput!) { conversionRecord(input: $input) {
  conversion { externalId value lookbackDays } duplicate userErrors { field message code } } }"""


def ndjson(*items: object) -> bytes:
    return b"\n".join(orjson.dumps(item) for item in items) + b"\n"


async def _post(http: httpx.AsyncClient, key: str, body: bytes, **headers: str) -> httpx.Response:
    return await http.post(
        "/ingest/conversions",
        content=body,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}
        | headers,
    )


@pytest.fixture
async def buyer(api: Api) -> str:
    member: str = (await api.data(MEMBER))["memberCreate"]["member"]["id"]
    return member


async def test_a_bad_line_is_reported_by_number_and_nothing_is_written(
    http: httpx.AsyncClient, acme: Tenant, api_db: Database, buyer: str
) -> None:
    before = await row_counts(api_db)
    body = (
        ndjson({"externalId": "o-1", "memberHandle": "buyer", "value": 10})
        + b"{not json\n\n"
        + ndjson(
            {"externalId": "o-2", "memberHandle": "nobody", "value": 5},
            {"externalId": "o-3", "memberId": buyer, "value": "ten"},
        )
    )
    response = await _post(http, acme.key, body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["line"], e["code"]) for e in errors] == [(2, "INVALID_JSON"), (5, "INVALID")]
    unknown = await _post(
        http, acme.key, ndjson({"externalId": "o-2", "memberHandle": "x", "value": 1})
    )
    assert unknown.json()["errors"] == [
        {"line": 1, "field": "memberId", "message": "member not found", "code": "NOT_FOUND"}
    ]
    assert await row_counts(api_db) == before


async def test_a_batch_is_written_once_and_a_resent_batch_only_reports_duplicates(
    http: httpx.AsyncClient, acme: Tenant, buyer: str
) -> None:
    body = ndjson(
        {"externalId": "o-1", "memberHandle": "buyer", "value": 10.5},
        {"externalId": "o-2", "memberId": buyer, "value": 4, "occurredAt": "2026-01-01T00:00:00Z"},
    )
    first = await _post(http, acme.key, body)
    again = await _post(http, acme.key, body)
    assert first.status_code == 200, first.text
    assert first.json() == {"ingested": 2, "duplicates": [], "errors": []}
    assert again.json() == {"ingested": 0, "duplicates": ["o-1", "o-2"], "errors": []}


async def test_an_idempotency_key_replays_the_first_answer(
    http: httpx.AsyncClient, acme: Tenant, buyer: str
) -> None:
    body = ndjson({"externalId": "o-1", "memberHandle": "buyer", "value": 1})
    first = await _post(http, acme.key, body, **{"Idempotency-Key": "batch-1"})
    replay = await _post(http, acme.key, body, **{"Idempotency-Key": "batch-1"})
    assert first.json()["ingested"] == 1
    assert replay.json() == first.json()
    assert replay.headers["Idempotent-Replayed"] == "true"


async def test_only_owner_manager_and_ingestion_keys_may_ingest(
    http: httpx.AsyncClient, acme: Tenant, api_db: Database, buyer: str
) -> None:
    async with api_db.session() as session:
        service = OrganizationService(session)
        keys = {
            role: (await service.issue_key(acme.organization_id, role)).secret
            for role in (ApiKeyRole.VIEWER, ApiKeyRole.ANALYST, ApiKeyRole.INGESTION)
        }
    body = ndjson({"externalId": "o-1", "memberHandle": "buyer", "value": 1})
    assert (await _post(http, keys[ApiKeyRole.VIEWER], body)).status_code == 403
    assert (await _post(http, keys[ApiKeyRole.ANALYST], body)).status_code == 403
    assert (await _post(http, keys[ApiKeyRole.INGESTION], body)).status_code == 200
    assert (await _post(http, "tsq_nonsense", body)).status_code == 401
    bad_window = await http.post(
        "/ingest/conversions?lookbackDays=0",
        content=body,
        headers={"Authorization": f"Bearer {acme.key}"},
    )
    assert bad_window.status_code == 422


async def test_conversion_record_takes_a_lookback_and_reports_a_duplicate(
    api: Api, buyer: str
) -> None:
    item = {"externalId": "o-9", "memberId": buyer, "value": 3.5, "lookbackDays": 7}
    first = (await api.data(RECORD, input=item))["conversionRecord"]
    again = (await api.data(RECORD, input=item))["conversionRecord"]
    bad = await api.data(RECORD, input=item | {"externalId": "", "lookbackDays": 900})
    assert first == {
        "conversion": {"externalId": "o-9", "value": 3.5, "lookbackDays": 7},
        "duplicate": False,
        "userErrors": [],
    }
    assert (again["conversion"], again["duplicate"]) == (None, True)
    assert bad["conversionRecord"]["userErrors"][0]["field"] == ["input", "lookbackDays"]
