"""Automatic persisted queries over HTTP: hash only, then query and hash, then hash only."""

from __future__ import annotations

import hashlib
from typing import Any

from api_harness import Api, acme, api, api_db, http

__all__ = ["acme", "api", "api_db", "http"]

QUERY = "query PersistedViewer { viewer { role } }"
SHA = hashlib.sha256(QUERY.encode()).hexdigest()


def persisted(sha256: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": sha256}}


async def send(api: Api, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await api.client.post("/graphql", json=body, headers=api.headers())
    return response.status_code, response.json()


async def test_an_unknown_hash_answers_persisted_query_not_found(api: Api) -> None:
    status, body = await send(api, {"extensions": persisted(SHA)})
    assert status == 200
    assert body["errors"][0]["message"] == "PersistedQueryNotFound"
    assert body["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_query_sent_with_its_hash_is_run_and_then_served_by_hash_alone(api: Api) -> None:
    status, first = await send(api, {"query": QUERY, "extensions": persisted(SHA)})
    assert status == 200
    assert first["data"] == {"viewer": {"role": "OWNER"}}
    status, again = await send(api, {"extensions": persisted(SHA), "variables": {}})
    assert status == 200
    assert again["data"] == {"viewer": {"role": "OWNER"}}


async def test_variables_travel_with_the_hash(api: Api) -> None:
    query = "query PersistedCommunities($n: Int!) { communities(first: $n) { totalCount } }"
    sha = hashlib.sha256(query.encode()).hexdigest()
    await send(api, {"query": query, "variables": {"n": 1}, "extensions": persisted(sha)})
    _, body = await send(api, {"variables": {"n": 2}, "extensions": persisted(sha)})
    assert body["data"] == {"communities": {"totalCount": 0}}


async def test_a_hash_that_does_not_match_its_query_is_refused_and_not_stored(api: Api) -> None:
    wrong = hashlib.sha256(b"something else").hexdigest()
    status, body = await send(api, {"query": QUERY, "extensions": persisted(wrong)})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    _, after = await send(api, {"extensions": persisted(wrong)})
    assert after["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_an_invalid_document_is_answered_but_never_persisted(api: Api) -> None:
    broken = "query PersistedBroken { viewer { nope } }"
    sha = hashlib.sha256(broken.encode()).hexdigest()
    _, body = await send(api, {"query": broken, "extensions": persisted(sha)})
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    _, after = await send(api, {"extensions": persisted(sha)})
    assert after["errors"][0]["message"] == "PersistedQueryNotFound"


async def test_an_unsupported_version_or_a_malformed_hash_is_a_bad_request(api: Api) -> None:
    status, body = await send(api, {"query": QUERY, "extensions": persisted(SHA, version=2)})
    assert status == 400
    assert "version" in body["errors"][0]["message"]
    status, body = await send(api, {"extensions": persisted("abc")})
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_persisted_query_still_needs_a_valid_key(api: Api) -> None:
    await send(api, {"query": QUERY, "extensions": persisted(SHA)})
    response = await api.client.post(
        "/graphql", json={"extensions": persisted(SHA)}, headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 401
