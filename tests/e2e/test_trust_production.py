"""Production mode: no introspection or IDE, masked errors, no suggestions, JSON POST only, CORS."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http

from api.app import create_app
from api.settings import TrustSettings
from domain.db import Database
from domain.services.communities import CommunityService

__all__ = ["acme", "api", "api_db", "http"]

ALLOWED_ORIGIN = "https://app.brand.example"
SECRET = "connection string postgres://admin:hunter2@db"


@pytest.fixture
async def prod(api_db: Database, acme: Tenant) -> AsyncIterator[Api]:
    settings = TrustSettings(production=True, cors_origins=(ALLOWED_ORIGIN,))
    transport = httpx.ASGITransport(app=create_app(api_db, settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield Api(client, acme.key)


INTROSPECTION = "{ __schema { types { name } } }"


async def test_production_refuses_introspection(prod: Api) -> None:
    body = await prod.post(INTROSPECTION)
    assert body.get("data") is None
    assert body["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"


async def test_development_allows_introspection(api: Api) -> None:
    assert (await api.data(INTROSPECTION))["__schema"]["types"]


async def test_production_masks_an_internal_error_to_a_message_and_a_code(
    prod: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(CommunityService, "list", broken)
    response = await prod.client.post(
        "/graphql", json={"query": "{ communities { totalCount } }"}, headers=prod.headers()
    )
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert "Traceback" not in response.text
    [error] = response.json()["errors"]
    assert error["message"] == "Internal server error."
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}


async def test_development_shows_the_internal_error(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object) -> None:
        raise RuntimeError(SECRET)

    monkeypatch.setattr(CommunityService, "list", broken)
    body = await api.post("{ communities { totalCount } }")
    assert "hunter2" in body["errors"][0]["message"]


async def test_production_gives_no_field_suggestions(prod: Api, api: Api) -> None:
    query = "{ communitie { totalCount } }"
    assert "Did you mean" in (await api.post(query))["errors"][0]["message"]
    [error] = (await prod.post(query))["errors"]
    assert "Did you mean" not in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


async def test_production_refuses_queries_over_get(prod: Api) -> None:
    response = await prod.client.get(
        "/graphql", params={"query": "{ viewer { role } }"}, headers=prod.headers()
    )
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"


async def test_production_refuses_form_encoded_posts(prod: Api) -> None:
    response = await prod.client.post(
        "/graphql", data={"query": "{ viewer { role } }"}, headers=prod.headers()
    )
    assert response.status_code == 415


async def test_production_serves_no_graphiql(prod: Api, http: httpx.AsyncClient) -> None:
    page = {"Accept": "text/html"}
    assert "graphiql" in (await http.get("/graphql", headers=page)).text.lower()
    response = await prod.client.get("/graphql", headers=page)
    assert response.status_code == 404
    assert "graphiql" not in response.text.lower()


async def test_production_still_serves_a_json_post(prod: Api) -> None:
    assert (await prod.data("{ viewer { role } }"))["viewer"]["role"] == "OWNER"


def preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }


async def test_cors_allows_a_listed_origin(prod: Api) -> None:
    response = await prod.client.options("/graphql", headers=preflight(ALLOWED_ORIGIN))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    answer = await prod.client.post(
        "/graphql",
        json={"query": "{ viewer { role } }"},
        headers={**prod.headers(), "Origin": ALLOWED_ORIGIN},
    )
    assert answer.headers["access-control-allow-origin"] == ALLOWED_ORIGIN


async def test_cors_refuses_an_unlisted_origin(prod: Api) -> None:
    response = await prod.client.options("/graphql", headers=preflight("https://evil.example"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOWNSQUARE_ENV", "production")
    monkeypatch.setenv("TOWNSQUARE_CORS_ORIGINS", "https://a.example, https://b.example")
    settings = TrustSettings.from_env()
    assert settings.production
    assert settings.cors_origins == ("https://a.example", "https://b.example")
