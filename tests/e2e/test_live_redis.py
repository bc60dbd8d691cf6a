"""Two `townsquare serve` processes sharing Redis: a mention recorded through one reaches a
subscriber connected to the other, once, and never another organization's subscriber; a key
revoked through one closes its socket on the other, and so does one revoked from a shell."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_harness import api_db, tenant
from live_harness import Http, live, served, until_heard
from websockets.exceptions import ConnectionClosed

from api.app import create_app
from api.ids import encode_id
from api.loadtest import free_port, wait_until_ready
from api.settings import TrustSettings
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService

__all__ = ["api_db"]

pytestmark = [pytest.mark.redis, pytest.mark.slow]

REDIS_VARIABLE = "TOWNSQUARE_TEST_REDIS_URL"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_VARIABLE)
    if not url:
        pytest.skip(f"needs a Redis server named by {REDIS_VARIABLE}")
    return url


@contextmanager
def server(database_url: str, redis_url: str, log: Path) -> Iterator[str]:
    """`townsquare serve` on a free port with Redis broadcast; its host:port."""
    port = free_port()
    env = {
        **os.environ,
        "TOWNSQUARE_DATABASE_URL": database_url,
        "TOWNSQUARE_REDIS_URL": redis_url,
        "TOWNSQUARE_WEBHOOK_WORKER": "0",
    }
    command = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_ready(f"http://127.0.0.1:{port}", process)
            yield f"127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


async def test_an_event_raised_in_one_server_reaches_a_subscriber_of_another(
    api_db: Database, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    acme, globex = await tenant(api_db, "acme"), await tenant(api_db, "globex")
    record = """mutation R($input: MentionRecordInput!) {
      mentionRecord(input: $input) { mention { id } userErrors { code } }
    }"""

    async def mention(attempt: int) -> None:
        fields = {"source": "forum", "text": f"hello from B {attempt}", "authorHandle": "@b"}
        await writer.data(record, input=fields)

    with (
        server(database_url, redis_url, tmp_path / "a.log") as a,
        server(database_url, redis_url, tmp_path / "b.log") as b,
    ):
        writer = Http(b, acme.key)
        query = "subscription { mentionAdded { id text } }"
        async with live(a, globex.key) as spy, live(a, acme.key) as client:
            await spy.subscribe(query)
            operation = await client.subscribe(query)
            heard = await until_heard(client, operation, mention)
            assert heard["mentionAdded"]["text"].startswith("hello from B")
            # Exactly once: the publishing server's copy arrives through Redis like any other.
            ids = [heard["mentionAdded"]["id"]]
            ids += [d["mentionAdded"]["id"] for d in await client.drain(operation, 1.5)]
            assert len(ids) == len(set(ids))
            assert await spy.quiet(1.0)


async def test_a_key_revoked_through_one_server_closes_its_socket_on_another(
    api_db: Database, database_url: str, redis_url: str, tmp_path: Path
) -> None:
    acme = await tenant(api_db, "acme")
    async with api_db.session() as session:
        service = OrganizationService(session)
        issued = await service.issue_key(acme.organization_id, ApiKeyRole.VIEWER)
        viewer = await service.authenticate(issued.secret)
    revoke = "mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) { userErrors { code } } }"
    with (
        server(database_url, redis_url, tmp_path / "a.log") as a,
        server(database_url, redis_url, tmp_path / "b.log") as b,
    ):
        async with live(a, issued.secret) as client:
            await client.subscribe("subscription { mentionAdded { id } }")
            assert await client.quiet(0.5)
            body = await Http(b, acme.key).data(revoke, id=encode_id("ApiKey", viewer.key_id))
            assert body["apiKeyRevoke"]["userErrors"] == []
            # Server A looks keys up again only every 30 s: the event through Redis closes it.
            with pytest.raises(ConnectionClosed) as closed:
                await client.receive(10.0)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 4403


async def test_a_key_revoked_from_a_shell_closes_its_socket_at_once_through_redis(
    api_db: Database, database_url: str, redis_url: str
) -> None:
    acme = await tenant(api_db, "acme")
    async with api_db.session() as session:
        service = OrganizationService(session)
        issued = await service.issue_key(acme.organization_id, ApiKeyRole.VIEWER)
        viewer = await service.authenticate(issued.secret)
    # The server looks keys up again only hourly: only the announcement can close the socket.
    settings = TrustSettings(redis_url=redis_url, key_recheck_seconds=3600.0)
    app = create_app(api_db, settings, deliver_webhooks=False)
    async with served(app) as base, live(base, issued.secret) as client:
        await client.subscribe("subscription { mentionAdded { id } }")
        assert await client.quiet(0.5)
        command = [sys.executable, "-m", "api.cli", "apikey", "revoke", "--org", "acme"]
        command += ["--id", str(viewer.key_id), "--database", database_url]
        shell = await asyncio.create_subprocess_exec(
            *command,
            env={**os.environ, "TOWNSQUARE_REDIS_URL": redis_url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await shell.communicate()
        assert shell.returncode == 0, output.decode()
        with pytest.raises(ConnectionClosed) as closed:
            await client.receive(10.0)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
