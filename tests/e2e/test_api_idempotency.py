"""`Idempotency-Key` on POST /graphql: replays, refusals, concurrency, expiry."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts, tenant
from sqlalchemy import select, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, request_response
from starlette.types import Message

from api.app import create_app
from api.idempotency import Idempotent
from domain.db import Database
from domain.idempotency.store import IdempotencyStore
from domain.idempotency.tables import IdempotencyKey
from domain.timeutil import utcnow

__all__ = ["acme", "api", "api_db", "http"]

CREATE = """mutation($name: String!) { communityCreate(input: {name: $name, platform: FORUM,
  visibility: PUBLIC}) { community { id name } userErrors { code } } }"""
COUNT = "{ communities { totalCount } }"


async def _post(
    client: httpx.AsyncClient, key: str, idem: str | None, query: str, **variables: Any
) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"}
    if idem is not None:
        headers["Idempotency-Key"] = idem
    return await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


async def _communities(api: Api) -> int:
    return int((await api.data(COUNT))["communities"]["totalCount"])


async def test_a_repeated_key_replays_the_first_response_and_writes_once(
    http: httpx.AsyncClient, acme: Tenant, api: Api
) -> None:
    first = await _post(http, acme.key, "k-1", CREATE, name="Town")
    again = await _post(http, acme.key, "k-1", CREATE, name="Town")

    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert await _communities(api) == 1


async def test_a_reused_key_with_another_payload_is_refused_with_422(
    http: httpx.AsyncClient, acme: Tenant, api: Api
) -> None:
    await _post(http, acme.key, "k-2", CREATE, name="Town")
    reused = await _post(http, acme.key, "k-2", CREATE, name="Village")

    assert reused.status_code == 422
    assert reused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await _communities(api) == 1


async def test_without_a_key_every_request_runs(
    http: httpx.AsyncClient, acme: Tenant, api: Api
) -> None:
    await _post(http, acme.key, None, CREATE, name="Town")
    await _post(http, acme.key, None, CREATE, name="Town")
    assert await _communities(api) == 2


async def test_keys_belong_to_one_organization(
    http: httpx.AsyncClient, acme: Tenant, api_db: Database, api: Api
) -> None:
    globex = await tenant(api_db, "globex")
    mine = await _post(http, acme.key, "shared", CREATE, name="Town")
    theirs = await _post(http, globex.key, "shared", CREATE, name="Town")
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["data"] != theirs.json()["data"]
    assert await _communities(api) == 1


async def test_a_query_with_a_key_is_neither_stored_nor_replayed(
    http: httpx.AsyncClient, acme: Tenant, api_db: Database
) -> None:
    await _post(http, acme.key, "k-q", COUNT)
    await _post(http, acme.key, "k-q", "{ viewer { role } }")
    assert (await row_counts(api_db))["idempotency_key"] == 0


async def test_a_malformed_key_is_refused_with_400(http: httpx.AsyncClient, acme: Tenant) -> None:
    refused = await _post(http, acme.key, "x" * 256, CREATE, name="Town")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_INVALID"


async def test_a_request_without_a_valid_api_key_is_still_a_401(http: httpx.AsyncClient) -> None:
    refused = await _post(http, "tsq_nope", "k-401", CREATE, name="Town")
    assert refused.status_code == 401


async def test_concurrent_requests_with_one_key_write_once(
    api_db: Database, acme: Tenant, api: Api
) -> None:
    # Two "workers" (apps with their own engines) race eight requests with one key.
    second = Database(api_db.url, pool_size=5)
    apps = [create_app(api_db), create_app(second)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=a), base_url="http://t.test")
        for a in apps
    ]
    try:
        responses = await asyncio.gather(
            *(_post(clients[n % 2], acme.key, "race", CREATE, name="Town") for n in range(8))
        )
    finally:
        for client in clients:
            await client.aclose()
        await second.dispose()
    statuses = sorted({r.status_code for r in responses})
    assert set(statuses) <= {200, 409}
    originals = [r for r in responses if r.status_code == 200]
    assert len({r.content for r in originals}) == 1
    assert sum("Idempotent-Replayed" not in r.headers for r in originals) == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.json()["errors"][0]["extensions"]["code"] == "IDEMPOTENCY_KEY_IN_PROGRESS"
        assert refused.headers["Retry-After"] == "1"
    assert await _communities(api) == 1


async def test_keys_expire_after_24_hours_and_the_purge_removes_them(
    http: httpx.AsyncClient, acme: Tenant, api_db: Database, api: Api
) -> None:
    await _post(http, acme.key, "old", CREATE, name="Town")
    async with api_db.session() as session:
        await session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25))
        )
        await session.commit()
    # An expired key is a new key: the request runs again.
    again = await _post(http, acme.key, "old", CREATE, name="Town")
    assert "Idempotent-Replayed" not in again.headers
    assert await _communities(api) == 2
    async with api_db.session() as session:
        await session.execute(
            update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25))
        )
        await session.commit()
    assert await IdempotencyStore(api_db).purge() == 1
    assert (await row_counts(api_db))["idempotency_key"] == 0


async def test_a_failed_request_frees_its_key_for_a_retry(api_db: Database, acme: Tenant) -> None:
    calls: list[int] = []

    async def flaky(request: Request) -> JSONResponse:
        calls.append(1)
        await request.body()
        if len(calls) == 1:
            return JSONResponse({"error": "boom"}, status_code=503)
        return JSONResponse({"ok": len(calls)}, status_code=201)

    app = Starlette(
        routes=[
            Route("/ingest/things", Idempotent(request_response(flaky), api_db), methods=["POST"])
        ]
    )
    headers = {"Authorization": f"Bearer {acme.key}", "Idempotency-Key": "retry-me"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t.test") as client:
        failed = await client.post("/ingest/things", json={"n": 1}, headers=headers)
        worked = await client.post("/ingest/things", json={"n": 1}, headers=headers)
        replayed = await client.post("/ingest/things", json={"n": 1}, headers=headers)
    assert (failed.status_code, worked.status_code, replayed.status_code) == (503, 201, 201)
    assert replayed.json() == {"ok": 2}
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert len(calls) == 2


async def test_the_key_is_recorded_before_the_answer_leaves_so_an_instant_repeat_replays(
    api_db: Database, acme: Tenant
) -> None:
    # Over a socket the client reads the answer the moment it is sent and may repeat at once:
    # by then the key must say COMPLETED, or the repeat is told "still running".
    async def endpoint(_request: Request) -> JSONResponse:
        return JSONResponse({"done": True})

    seen: list[str | None] = []

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            async with api_db.session() as session:
                seen.append(
                    await session.scalar(
                        select(IdempotencyKey.status).where(IdempotencyKey.key == "watched")
                    )
                )

    async def receive() -> Message:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    scope = {
        "type": "http", "method": "POST", "path": "/x", "root_path": "", "scheme": "http",
        "query_string": b"", "http_version": "1.1", "server": ("test", 80),
        "client": ("test", 1),
        "headers": [
            (b"authorization", f"Bearer {acme.key}".encode()),
            (b"idempotency-key", b"watched"),
            (b"content-type", b"application/json"),
        ],
    }  # fmt: skip
    await Idempotent(request_response(endpoint), api_db)(scope, receive, send)
    assert seen == ["completed"]
