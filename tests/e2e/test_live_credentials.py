"""Websockets take the short-lived tokens as well as API keys, and a connection ends with its
credential: a revoked key closes its open sockets (4403), an expired token closes its own
(4401), whether or not an event is on its way."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import jwt
import pytest
from api_harness import Tenant, acme, api_db
from live_harness import TRANSPORT_WS, Http, LiveClient, closed_with, live, served, until_heard
from sqlalchemy import text
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.ids import encode_id
from api.settings import TrustSettings
from api.tokens import AUDIENCE, ISSUER, TokenIssuer
from domain import events
from domain.db import Database, transaction
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService, Principal
from domain.timeutil import utcnow

__all__ = ["acme", "api_db"]

SECRET = "test-secret-of-sixty-four-bytes-or-more-0123456789-0123456789-0123456789"
MENTIONS = "subscription { mentionAdded { id text } }"
RECORD = """mutation R($input: MentionRecordInput!) {
  mentionRecord(input: $input) { mention { id } userErrors { code } }
}"""
REVOKE = """mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) { userErrors { code } } }"""
# Long enough that only the revocation event (or the per-event check) can close a socket.
NEVER = 3600.0


def settings(recheck: float = NEVER, ttl: timedelta = timedelta(minutes=15)) -> TrustSettings:
    return TrustSettings(tokens=TokenIssuer(SECRET, ttl), key_recheck_seconds=recheck)


@pytest.fixture
async def base(api_db: Database) -> AsyncIterator[str]:
    async with served(create_app(api_db, settings(), deliver_webhooks=False)) as url:
        yield url


async def key_of(db: Database, tenant: Tenant, role: ApiKeyRole) -> tuple[str, Principal]:
    """A new key of `role` for `tenant`, and its principal."""
    async with db.session() as session:
        service = OrganizationService(session)
        issued = await service.issue_key(tenant.organization_id, role)
        return issued.secret, await service.authenticate(issued.secret)


async def token_for(base: str, key: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://{base}/auth/token", headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


async def close_code(client: LiveClient, seconds: float = 10.0) -> int:
    """The code the server closes `client` with, within `seconds`; fails if data comes first."""
    with pytest.raises(ConnectionClosed) as closed:
        await _nothing_but_a_close(client, seconds)
    received = closed.value.rcvd
    assert received is not None
    return received.code


async def _nothing_but_a_close(client: LiveClient, seconds: float) -> None:
    message = await client.receive(seconds)
    raise AssertionError(f"expected the socket to close, got {message}")


async def revoke(base: str, owner_key: str, key_id: int) -> None:
    body = await Http(base, owner_key).data(REVOKE, id=encode_id("ApiKey", key_id))
    assert body["apiKeyRevoke"]["userErrors"] == []


async def test_a_token_of_a_reading_key_subscribes_and_hears_events(
    base: str, api_db: Database, acme: Tenant
) -> None:
    viewer, _ = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    token = await token_for(base, viewer)
    writer = Http(base, acme.key)

    async def mention(attempt: int) -> None:
        fields = {"source": "forum", "text": f"token {attempt}", "authorHandle": "@t"}
        await writer.data(RECORD, input=fields)

    async with live(base, token) as client:
        operation = await client.subscribe(MENTIONS)
        heard = await until_heard(client, operation, mention)
        assert heard["mentionAdded"]["text"].startswith("token")


async def test_an_expired_forged_or_ingestion_token_may_not_connect(
    base: str, api_db: Database, acme: Tenant
) -> None:
    _, principal = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": str(principal.key_id),
        "aud": AUDIENCE,
        "iss": ISSUER,
        "iat": now,
        "exp": now + timedelta(minutes=5),
    }
    refused = {
        "expired": {**claims, "exp": now - timedelta(seconds=5)},
        "wrong audience": {**claims, "aud": "someone-else"},
    }
    for name, bad in refused.items():
        token = jwt.encode(bad, SECRET, algorithm="HS256")
        payload = {"authorization": f"Bearer {token}"}
        assert await closed_with(base, payload, TRANSPORT_WS) == 4403, name
    ingestion, _ = await key_of(api_db, acme, ApiKeyRole.INGESTION)
    payload = {"authorization": f"Bearer {await token_for(base, ingestion)}"}
    assert await closed_with(base, payload, TRANSPORT_WS) == 4403


async def test_a_revoked_key_closes_its_open_sockets(
    base: str, api_db: Database, acme: Tenant
) -> None:
    viewer, principal = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    analyst, _ = await key_of(api_db, acme, ApiKeyRole.ANALYST)
    token = await token_for(base, viewer)
    async with (
        live(base, viewer) as by_key,
        live(base, token) as by_token,
        live(base, analyst) as other,
    ):
        await by_key.subscribe(MENTIONS)
        await other.subscribe(MENTIONS)
        await revoke(base, acme.key, principal.key_id)
        # The recheck is an hour away: the revocation event closes them, with no event sent.
        assert await close_code(by_key) == 4403
        assert await close_code(by_token) == 4403
        # Another key's connection stays open and answers.
        await other.send({"type": "ping"})
        assert (await other.receive(5.0))["type"] == "pong"


async def test_a_revoked_key_hears_no_further_event_even_before_the_guard_looks(
    base: str, api_db: Database, acme: Tenant
) -> None:
    viewer, principal = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    writer = Http(base, acme.key)
    async with live(base, viewer) as client:
        operation = await client.subscribe(MENTIONS)

        async def mention(attempt: int) -> None:
            fields = {"source": "forum", "text": f"before {attempt}", "authorHandle": "@t"}
            await writer.data(RECORD, input=fields)

        await until_heard(client, operation, mention)
        # Revoked behind the servers' back: no event announces it, the recheck is an hour off.
        await _revoke_silently(api_db, principal.key_id)
        await mention(99)
        assert await close_code(client) == 4403


async def test_a_silent_revocation_is_caught_by_the_periodic_recheck(
    api_db: Database, acme: Tenant
) -> None:
    viewer, principal = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    app = create_app(api_db, settings(recheck=0.2), deliver_webhooks=False)
    async with served(app) as url, live(url, viewer) as client:
        await client.subscribe(MENTIONS)
        assert await client.quiet(0.5)
        await _revoke_silently(api_db, principal.key_id)
        assert await close_code(client, 5.0) == 4403


async def test_a_token_s_expiry_closes_its_socket_with_4401(api_db: Database, acme: Tenant) -> None:
    viewer, _ = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    app = create_app(api_db, settings(ttl=timedelta(seconds=2)), deliver_webhooks=False)
    async with served(app) as url:
        token = await token_for(url, viewer)
        async with live(url, token) as client, live(url, viewer) as by_key:
            await client.subscribe(MENTIONS)
            loop = asyncio.get_running_loop()
            started = loop.time()
            assert await close_code(client, 10.0) == 4401
            assert loop.time() - started < 5.0
            # The key itself is still good: its own connection stays.
            await by_key.send({"type": "ping"})
            assert (await by_key.receive(5.0))["type"] == "pong"


async def _revoke_silently(db: Database, key_id: int) -> None:
    """Revoke as another process would (`townsquare apikey revoke` without Redis): a plain
    UPDATE, announced to nobody."""
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE api_key SET revoked_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": key_id},
        )


async def test_a_silent_revocation_is_caught_even_while_events_keep_coming(
    api_db: Database, acme: Tenant
) -> None:
    viewer, principal = await key_of(api_db, acme, ApiKeyRole.VIEWER)
    app = create_app(api_db, settings(recheck=0.5), deliver_webhooks=False)
    stop = asyncio.Event()

    async def chatter() -> None:
        """The organization's events, every few milliseconds: the recheck must still come."""
        while not stop.is_set():
            async with api_db.session() as session, transaction(session):
                events.emit(session, organization_id=acme.organization_id, name=events.ALERT_RAISED)
            await asyncio.sleep(0.02)

    async with served(app) as url, live(url, viewer) as client:
        talking = asyncio.create_task(chatter())
        try:
            await _revoke_silently(api_db, principal.key_id)
            assert await close_code(client, 10.0) == 4403
        finally:
            stop.set()
            await talking
