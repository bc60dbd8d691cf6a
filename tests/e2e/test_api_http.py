"""The HTTP surface: keys are required, health answers, GraphiQL and GET behave."""

from __future__ import annotations

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http

from domain.db import Database
from domain.schema_version import downgrade

__all__ = ["acme", "api", "api_db", "http"]

QUERY = {"query": "{ viewer { role } }"}


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "Unauthenticated" in error["message"]
    assert "data" not in response.json()


async def test_a_request_without_a_key_is_refused_with_a_clear_error(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/graphql", json=QUERY)
    assert_refused(response)
    assert "Authorization: Bearer" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer tsq_notakeyatall",
        "Bearer tsq_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Basic dXNlcjpwYXNz",
        "Bearer ",
        "tsq_only_a_key",
    ],
)
async def test_a_request_with_an_invalid_key_is_refused(
    http: httpx.AsyncClient, acme: Tenant, header: str
) -> None:
    assert_refused(await http.post("/graphql", json=QUERY, headers={"Authorization": header}))


async def test_a_revoked_looking_unknown_but_well_formed_key_is_refused(
    http: httpx.AsyncClient, acme: Tenant
) -> None:
    # Same shape and checksum rules as a real key, but never issued.
    from domain.keys import generate_key

    headers = {"Authorization": f"Bearer {generate_key()}"}
    assert_refused(await http.post("/graphql", json=QUERY, headers=headers))


async def test_a_query_over_get_without_a_key_is_refused(http: httpx.AsyncClient) -> None:
    assert_refused(await http.get("/graphql", params=QUERY))


async def test_a_valid_key_sees_its_organization_and_role(api: Api, acme: Tenant) -> None:
    data = await api.data("{ viewer { role organization { name slug } } }")
    assert data["viewer"] == {"role": "OWNER", "organization": {"name": "Acme", "slug": "acme"}}


async def test_mutations_over_get_are_refused(api: Api, http: httpx.AsyncClient) -> None:
    mutation = 'mutation { communityCreate(input: {name: "x", platform: BLOG, visibility: PUBLIC})'
    mutation += " { community { id } } }"
    response = await http.get("/graphql", params={"query": mutation}, headers=api.headers())
    assert response.status_code == 400
    assert "not allowed" in response.text
    data = await api.data("{ communities { totalCount } }")
    assert data["communities"]["totalCount"] == 0


async def test_queries_over_get_are_served(api: Api, http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params=QUERY, headers=api.headers())
    assert response.status_code == 200
    assert response.json()["data"] == {"viewer": {"role": "OWNER"}}
    assert "errors" not in response.json()


async def test_graphiql_is_served_in_development(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_graphiql_is_not_served_in_production(
    api_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.app import create_app

    monkeypatch.setenv("TOWNSQUARE_ENV", "production")
    transport = httpx.ASGITransport(app=create_app(api_db))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 404


async def test_healthz_answers_ok(http: httpx.AsyncClient) -> None:
    response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_answers_ready_on_a_migrated_database(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "database": "ok", "migrations": "current"}


async def test_readyz_answers_503_when_migrations_are_pending(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    await downgrade(api_db, "base")
    response = await http.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["migrations"] == "pending"
    assert body["pending"]


async def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path: object) -> None:
    from api.app import create_app

    database = Database("postgresql://nobody@127.0.0.1:1/nothing", pool_size=1)
    transport = httpx.ASGITransport(app=create_app(database))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/readyz")
    await database.dispose()
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
