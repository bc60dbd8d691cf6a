"""Short-lived JWTs: a key exchanged for a token that the API accepts until it expires.

Every forged shape is refused with the same 401: expired, another audience or issuer, `alg:
none`, another algorithm with the same secret, a tampered payload, a missing claim.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from api_harness import Tenant, acme, api_db

from api.app import create_app
from api.settings import TrustSettings
from api.tokens import AUDIENCE, ISSUER, TokenIssuer
from domain.db import Database
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

__all__ = ["acme", "api_db"]

# Long enough for HS512 too, so forging with another algorithm raises no key-length warning.
SECRET = "test-secret-of-sixty-four-bytes-or-more-0123456789-0123456789-0123456789"
VIEWER = {"query": "{ viewer { role organization { slug } } }"}


@pytest.fixture
async def client(api_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(api_db, TrustSettings(tokens=TokenIssuer(SECRET)), deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as http:
        yield http


async def exchange(client: httpx.AsyncClient, credential: str) -> httpx.Response:
    return await client.post("/auth/token", headers={"Authorization": f"Bearer {credential}"})


async def ask(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/graphql", json=VIEWER, headers={"Authorization": f"Bearer {token}"})


async def key_id(api_db: Database, acme: Tenant) -> int:
    async with api_db.session() as session:
        return (await OrganizationService(session).authenticate(acme.key)).key_id


def claims(key: int, **changes: Any) -> dict[str, Any]:
    now = utcnow()
    base = {
        "sub": str(key),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    return {**base, **changes}


def b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=lambda d: int(d.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


async def test_a_key_exchanged_for_a_token_calls_as_that_key(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    response = await exchange(client, acme.key)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "HS256"
    answer = await ask(client, body["access_token"])
    assert answer.status_code == 200
    assert answer.json()["data"]["viewer"] == {"role": "OWNER", "organization": {"slug": "acme"}}


async def forged_tokens(key: int) -> dict[str, str]:
    other_secret = SECRET[::-1]
    signed = jwt.encode(claims(key), SECRET, algorithm="HS256")
    head, payload, signature = signed.split(".")
    without_exp = claims(key)
    del without_exp["exp"]
    return {
        "expired": jwt.encode(
            claims(key, exp=utcnow() - timedelta(seconds=5)), SECRET, algorithm="HS256"
        ),
        "wrong audience": jwt.encode(claims(key, aud="someone-else"), SECRET, algorithm="HS256"),
        "wrong issuer": jwt.encode(claims(key, iss="someone-else"), SECRET, algorithm="HS256"),
        "alg none": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "another algorithm": jwt.encode(claims(key), SECRET, algorithm="HS512"),
        "another secret": jwt.encode(claims(key), other_secret, algorithm="HS256"),
        "tampered payload": f"{head}.{b64(claims(key + 1))}.{signature}",
        "no expiry": jwt.encode(without_exp, SECRET, algorithm="HS256"),
        "not a number subject": jwt.encode(claims(key, sub="admin"), SECRET, algorithm="HS256"),
    }


async def test_every_forged_or_expired_token_is_refused_with_401(
    client: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    tokens = await forged_tokens(await key_id(api_db, acme))
    for name, token in tokens.items():
        response = await ask(client, token)
        assert response.status_code == 401, name
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name


async def test_a_revoked_key_ends_its_tokens_at_once(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    token = (await exchange(client, acme.key)).json()["access_token"]
    keys = await client.post(
        "/graphql",
        json={"query": "{ apiKeys { nodes { id } } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    [mine] = keys.json()["data"]["apiKeys"]["nodes"]
    revoked = await client.post(
        "/graphql",
        json={
            "query": "mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) "
            "{ userErrors { code } } }",
            "variables": {"id": mine["id"]},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert revoked.json()["data"]["apiKeyRevoke"]["userErrors"] == []
    assert (await ask(client, token)).status_code == 401


async def test_a_token_cannot_be_exchanged_for_another(
    client: httpx.AsyncClient, acme: Tenant
) -> None:
    token = (await exchange(client, acme.key)).json()["access_token"]
    assert (await exchange(client, token)).status_code == 401
    assert (await exchange(client, "tsq_not_a_key")).status_code == 401


async def test_without_a_secret_the_exchange_is_off_and_tokens_are_refused(
    api_db: Database, acme: Tenant
) -> None:
    app = create_app(api_db, TrustSettings(), deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as http:
        assert (await exchange(http, acme.key)).status_code == 404
        token = TokenIssuer(SECRET).issue(await principal_of(api_db, acme.key))
        assert (await ask(http, token)).status_code == 401


async def principal_of(api_db: Database, key: str) -> Any:
    async with api_db.session() as session:
        return await OrganizationService(session).authenticate(key)


def test_a_short_secret_or_a_long_lifetime_is_refused_at_startup() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenIssuer("short")
    with pytest.raises(ValueError, match="between 1 and"):
        TokenIssuer(SECRET, timedelta(days=1))
