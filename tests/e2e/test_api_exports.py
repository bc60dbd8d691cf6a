"""`GET /export/{kind}.{format}`: streamed CRM exports for staff keys (or the short-lived
tokens made from them), refused to anyone else."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import orjson
import pytest
from api_harness import Tenant, acme, api_db, http, tenant

from api.app import create_app
from api.ids import decode_id
from api.settings import TrustSettings
from api.tokens import AUDIENCE, ISSUER, TokenIssuer
from domain.db import Database
from domain.demo import DemoSpec, seed_demo
from domain.enums import ApiKeyRole
from domain.services.apikeys import ApiKeyService
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

__all__ = ["acme", "api_db", "http"]

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


async def _demo_key(db: Database, role: ApiKeyRole) -> str:
    async with db.session() as session:
        service = OrganizationService(session)
        organization = await service.by_slug("demo")
        assert organization.id is not None
        return (await service.issue_key(organization.id, role)).secret


@pytest.fixture
async def demo(api_db: Database) -> Database:
    await seed_demo(api_db, DemoSpec(seed=3, members=50, communities=2), now=NOW)
    return api_db


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_an_analyst_streams_members_as_csv_with_global_ids(
    http: httpx.AsyncClient, demo: Database
) -> None:
    key = await _demo_key(demo, ApiKeyRole.ANALYST)
    response = await http.get("/export/members.csv", headers=_auth(key))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith('attachment; filename="members-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 50
    assert {decode_id(r["id"])[0] for r in rows} == {"Member"}  # type: ignore[index]


async def test_engagement_as_ndjson_names_member_content_and_community_by_global_id(
    http: httpx.AsyncClient, demo: Database
) -> None:
    key = await _demo_key(demo, ApiKeyRole.MANAGER)
    response = await http.get(
        "/export/engagement.ndjson", params={"since": "2026-10-25T00:00:00Z"}, headers=_auth(key)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-ndjson"
    records = [orjson.loads(line) for line in response.content.splitlines()]
    assert records
    first = records[0]
    assert decode_id(first["member_id"])[0] == "Member"  # type: ignore[index]
    assert decode_id(first["content_id"])[0] == "Content"  # type: ignore[index]
    assert all(r["occurred_at"] >= "2026-10-25T00:00:00Z" for r in records)


@pytest.mark.parametrize("role", [ApiKeyRole.VIEWER, ApiKeyRole.INGESTION])
async def test_viewer_and_ingestion_keys_may_not_export(
    http: httpx.AsyncClient, demo: Database, role: ApiKeyRole
) -> None:
    response = await http.get("/export/members.csv", headers=_auth(await _demo_key(demo, role)))
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_export_without_a_key_is_unauthenticated(http: httpx.AsyncClient) -> None:
    response = await http.get("/export/members.csv")
    assert response.status_code == 401


async def test_an_unknown_kind_or_format_is_not_found_and_a_bad_since_is_refused(
    http: httpx.AsyncClient, acme: Tenant
) -> None:
    assert (await http.get("/export/secrets.csv", headers=_auth(acme.key))).status_code == 404
    assert (await http.get("/export/members.xlsx", headers=_auth(acme.key))).status_code == 404
    bad = await http.get("/export/members.csv?since=yesterday", headers=_auth(acme.key))
    assert bad.status_code == 400


async def test_an_organization_exports_only_its_own_rows(
    http: httpx.AsyncClient, demo: Database
) -> None:
    other = await tenant(demo, "rival")
    response = await http.get("/export/memberships.ndjson", headers=_auth(other.key))
    assert response.status_code == 200
    assert response.content == b""


SECRET = "test-secret-of-sixty-four-bytes-or-more-0123456789-0123456789-0123456789"


@pytest.fixture
async def with_tokens(api_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_db, TrustSettings(tokens=TokenIssuer(SECRET)), deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield client


async def _token(client: httpx.AsyncClient, key: str) -> str:
    response = await client.post("/auth/token", headers=_auth(key))
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def test_a_token_exports_as_the_key_it_was_made_from(
    with_tokens: httpx.AsyncClient, demo: Database
) -> None:
    analyst = await _token(with_tokens, await _demo_key(demo, ApiKeyRole.ANALYST))
    response = await with_tokens.get("/export/members.csv", headers=_auth(analyst))
    assert response.status_code == 200
    assert len(list(csv.DictReader(io.StringIO(response.text)))) == 50
    viewer = await _token(with_tokens, await _demo_key(demo, ApiKeyRole.VIEWER))
    refused = await with_tokens.get("/export/members.csv", headers=_auth(viewer))
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_expired_or_foreign_audience_token_may_not_export(
    with_tokens: httpx.AsyncClient, demo: Database
) -> None:
    key = await _demo_key(demo, ApiKeyRole.OWNER)
    async with demo.session() as session:
        key_id = (await OrganizationService(session).authenticate(key)).key_id
    now = utcnow()
    claims = {"sub": str(key_id), "aud": AUDIENCE, "iss": ISSUER, "iat": now}
    for name, bad in {
        "expired": {**claims, "exp": now - timedelta(seconds=5)},
        "wrong audience": {**claims, "aud": "someone-else", "exp": now + timedelta(minutes=5)},
    }.items():
        token = jwt.encode(bad, SECRET, algorithm="HS256")
        response = await with_tokens.get("/export/members.csv", headers=_auth(token))
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name


async def test_a_revoked_key_ends_the_exports_of_its_tokens(
    with_tokens: httpx.AsyncClient, demo: Database
) -> None:
    key = await _demo_key(demo, ApiKeyRole.OWNER)
    token = await _token(with_tokens, key)
    async with demo.session() as session:
        principal = await OrganizationService(session).authenticate(key)
        await ApiKeyService(session, principal.organization_id).revoke(principal.key_id)
    response = await with_tokens.get("/export/members.csv", headers=_auth(token))
    assert response.status_code == 401
