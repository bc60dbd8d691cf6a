"""The request time limit: a request running past it is cut off, answered 503 `TIMEOUT`, and
has written nothing, wherever the cut falls (before its first statement, or inside its
transaction while a statement waits on a lock); a request within it is untouched."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from api_harness import Tenant, acme, api_db, row_counts
from sqlalchemy import text

from api.app import create_app
from api.settings import REQUEST_TIMEOUT_VARIABLE, TrustSettings, request_timeout
from domain.db import Database

__all__ = ["acme", "api_db"]

INGEST = """mutation I($input: MentionsIngestInput!) {
  mentionsIngest(input: $input) { ingestedCount userErrors { code } }
}"""
CREATE = """mutation($name: String!) {
  communityCreate(input: {name: $name, platform: FORUM, visibility: PUBLIC}) {
    community { id } userErrors { code } } }"""
UPDATE = """mutation($id: ID!, $name: String!) {
  communityUpdate(input: {id: $id, name: $name}) { community { name } userErrors { code } } }"""
NAME = "query($id: ID!) { node(id: $id) { ... on Community { name } } }"
BATCH = 100


@asynccontextmanager
async def client_with_limit(
    db: Database, seconds: float | None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(db, TrustSettings(request_timeout=seconds), deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield client


async def post(client: httpx.AsyncClient, key: str, query: str, **variables: Any) -> httpx.Response:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )


def mentions(tag: str) -> dict[str, Any]:
    items = [
        {"source": "forum", "text": f"{tag} mention {i}", "authorHandle": f"@{tag}{i % 7}"}
        for i in range(BATCH)
    ]
    return {"items": items}


def timed_out(response: httpx.Response) -> bool:
    if response.status_code != 503:
        return False
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "TIMEOUT"}
    assert response.headers["Retry-After"] == "1"
    return True


async def test_a_request_past_the_time_limit_is_answered_503_timeout_and_writes_nothing(
    api_db: Database, acme: Tenant
) -> None:
    before = await row_counts(api_db)
    # A microsecond: the first time the request waits for anything, it is over.
    async with client_with_limit(api_db, 1e-6) as client:
        assert timed_out(await post(client, acme.key, CREATE, name="Too slow"))
        assert timed_out(await post(client, acme.key, INGEST, input=mentions("slow")))
        assert timed_out(await post(client, acme.key, "{ communities { totalCount } }"))
    assert await row_counts(api_db) == before


async def test_a_cut_off_ingest_is_all_or_nothing_wherever_the_cut_falls(
    api_db: Database, acme: Tenant
) -> None:
    cut = 0
    # From before the first statement to after the commit: on the project's box 10 ms cut
    # the ingest off and 30 ms let it finish, so the steps between cut it mid-transaction.
    for limit in (0.001, 0.003, 0.01, 0.013, 0.016, 0.02, 0.025, 0.03, 0.04, 0.1, 0.3):
        before = await row_counts(api_db)
        async with client_with_limit(api_db, limit) as client:
            response = await post(client, acme.key, INGEST, input=mentions(f"t{limit}"))
        after = await row_counts(api_db)
        if timed_out(response):
            cut += 1
            assert after == before, limit
        else:
            assert response.status_code == 200, response.text
            assert response.json()["data"]["mentionsIngest"]["ingestedCount"] == BATCH
            assert after["mention"] == before["mention"] + BATCH, limit
    assert cut > 0  # at least the shortest limit cut a request off


async def test_a_request_within_the_time_limit_runs_as_ever(api_db: Database, acme: Tenant) -> None:
    async with client_with_limit(api_db, 30.0) as client:
        response = await post(client, acme.key, INGEST, input=mentions("fast"))
    assert response.status_code == 200
    assert response.json()["data"]["mentionsIngest"]["ingestedCount"] == BATCH


@pytest.mark.parametrize(("text", "expected"), [("", 30.0), ("2.5", 2.5), ("0", None)])
def test_the_time_limit_is_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, expected: float | None
) -> None:
    monkeypatch.setenv(REQUEST_TIMEOUT_VARIABLE, text)
    assert request_timeout() == expected


def test_a_negative_time_limit_is_refused_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUEST_TIMEOUT_VARIABLE, "-1")
    with pytest.raises(ValueError, match=REQUEST_TIMEOUT_VARIABLE):
        request_timeout()


async def test_a_write_stuck_behind_a_lock_is_cut_off_mid_transaction_and_rolled_back(
    api_db: Database, acme: Tenant
) -> None:
    if api_db.engine.dialect.name != "postgresql":
        pytest.skip("a row lock another transaction holds is a PostgreSQL setting")
    async with client_with_limit(api_db, 30.0) as client:
        made = await post(client, acme.key, CREATE, name="Locked")
    community = made.json()["data"]["communityCreate"]["community"]["id"]
    before = await row_counts(api_db)
    async with api_db.engine.connect() as locker:
        # Another transaction holds the community's row: the update waits on the lock, inside
        # the request's transaction, until the time limit cuts it off.
        await locker.execute(text("SELECT id FROM community WHERE name = 'Locked' FOR UPDATE"))
        async with client_with_limit(api_db, 0.5) as client, asyncio.timeout(20):
            response = await post(client, acme.key, UPDATE, id=community, name="Changed")
        assert timed_out(response)
        await locker.rollback()
    assert await row_counts(api_db) == before
    async with client_with_limit(api_db, 30.0) as client:
        read = await post(client, acme.key, NAME, id=community)
    assert read.json()["data"]["node"]["name"] == "Locked"
