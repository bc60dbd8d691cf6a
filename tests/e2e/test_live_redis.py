"""Two `townsquare serve` processes sharing Redis: a mention recorded through one reaches a
subscriber connected to the other, once, and never another organization's subscriber."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from api_harness import api_db, tenant
from live_harness import Http, live, until_heard

from api.loadtest import free_port, wait_until_ready
from domain.db import Database

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
