"""API keys over the API: owners list, make (secret shown once) and revoke them."""

from __future__ import annotations

from typing import Any

import httpx
from api_harness import Api, acme, api, api_db, http
from sqlalchemy import select

from domain.db import Database
from domain.entities import ApiKey

__all__ = ["acme", "api", "api_db", "http"]

CREATE = """mutation($input: ApiKeyCreateInput!) { apiKeyCreate(input: $input) {
  secret apiKey { id name prefix role revokedAt } userErrors { field code } } }"""
REVOKE = """mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) {
  apiKey { id revokedAt } userErrors { field code } } }"""
KEYS = "{ apiKeys { totalCount nodes { id name prefix role lastUsedAt revokedAt } } }"


async def make_key(api: Api, role: str = "ANALYST", name: str = "bi") -> dict[str, Any]:
    data = await api.data(CREATE, input={"role": role, "name": name})
    payload: dict[str, Any] = data["apiKeyCreate"]
    assert payload["userErrors"] == []
    return payload


async def test_a_new_key_is_shown_once_and_works_with_its_role(
    api: Api, http: httpx.AsyncClient
) -> None:
    made = await make_key(api)
    assert made["secret"].startswith(made["apiKey"]["prefix"])
    assert made["apiKey"]["role"] == "ANALYST"
    viewer = await Api(http, made["secret"]).data("{ viewer { role } }")
    assert viewer["viewer"]["role"] == "ANALYST"
    listed = (await api.data(KEYS))["apiKeys"]
    assert made["apiKey"]["id"] in [n["id"] for n in listed["nodes"]]
    assert "secret" not in str(listed)
    assert made["secret"] not in str(listed)


async def test_a_revoked_key_is_refused_on_its_next_request(
    api: Api, http: httpx.AsyncClient
) -> None:
    made = await make_key(api)
    other = Api(http, made["secret"])
    await other.data("{ viewer { role } }")
    revoked = (await api.data(REVOKE, id=made["apiKey"]["id"]))["apiKeyRevoke"]
    assert revoked["userErrors"] == []
    assert revoked["apiKey"]["revokedAt"] is not None
    response = await http.post(
        "/graphql", json={"query": "{ viewer { role } }"}, headers=other.headers()
    )
    assert response.status_code == 401
    again = (await api.data(REVOKE, id=made["apiKey"]["id"]))["apiKeyRevoke"]
    assert again["userErrors"] == [{"field": ["input", "id"], "code": "REVOKED"}]


async def test_last_use_is_stamped_at_most_once_a_minute(
    api: Api, http: httpx.AsyncClient, api_db: Database
) -> None:
    made = await make_key(api)
    other = Api(http, made["secret"])

    async def stamp() -> Any:
        async with api_db.session() as session:
            key = (
                await session.scalars(
                    select(ApiKey).where(ApiKey.prefix == made["apiKey"]["prefix"])
                )
            ).one()
            return key.last_used_at

    assert await stamp() is None
    await other.data("{ viewer { role } }")
    first = await stamp()
    assert first is not None
    for _ in range(3):
        await other.data("{ viewer { role } }")
    assert await stamp() == first
    listed = (await api.data(KEYS))["apiKeys"]["nodes"]
    [shown] = [n for n in listed if n["id"] == made["apiKey"]["id"]]
    assert shown["lastUsedAt"] is not None


async def test_a_name_longer_than_200_characters_is_refused_and_makes_no_key(api: Api) -> None:
    body = await api.post(CREATE, input={"role": "ANALYST", "name": "x" * 201})
    assert body["data"]["apiKeyCreate"]["userErrors"][0]["field"] == ["input", "name"]
    assert body["data"]["apiKeyCreate"]["secret"] is None
    assert (await api.data(KEYS))["apiKeys"]["totalCount"] == 1
