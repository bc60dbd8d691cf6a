"""Where the scheduler runs: `townsquare publish-due` from cron, and inside the server."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from api_harness import Tenant, acme, api_db
from sqlalchemy import select
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app
from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.entities import Community, Content
from domain.enums import ContentKind
from domain.services.organizations import OrganizationService
from domain.services.scheduling import PublishLoop
from domain.timeutil import utcnow

__all__ = ["acme", "api_db"]

runner = CliRunner()


async def _schedule(database: Database, organization_id: int, seconds: float) -> int:
    async with database.session() as session:
        community = Community(
            organization_id=organization_id, name="Town", platform="forum", visibility="public"
        )
        session.add(community)
        await session.commit()
        assert community.id is not None
        workflow = ContentWorkflow(session, organization_id, None)
        content = await workflow.create(PlannedContent(community.id, ContentKind.POST, "Hi"))
        assert content.id is not None
        await workflow.submit(content.id)
        await workflow.approve(content.id)
        await workflow.schedule(content.id, utcnow() + timedelta(seconds=seconds))
        return content.id


async def _status(database: Database, content_id: int) -> str | None:
    async with database.session() as session:
        return await session.scalar(select(Content.status).where(Content.id == content_id))


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TOWNSQUARE_DATABASE_URL", url)
    return url


async def _prepare(url: str) -> int:
    database = Database(url)
    try:
        async with database.session() as session:
            organization = await OrganizationService(session).create("acme", "Acme")
        assert organization.id is not None
        return await _schedule(database, organization.id, 0.2)
    finally:
        await database.dispose()


def test_publish_due_publishes_what_is_due_once_and_says_how_many(db_url: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    asyncio.run(_prepare(db_url))
    asyncio.run(asyncio.sleep(0.3))

    first = runner.invoke(app, ["publish-due"])
    again = runner.invoke(app, ["publish-due"])

    assert first.exit_code == 0, first.output
    assert "Published 1 scheduled items" in first.output
    assert "Published 0 scheduled items" in again.output


async def test_the_server_publishes_due_content_in_the_background(
    api_db: Database, acme: Tenant
) -> None:
    content_id = await _schedule(api_db, acme.organization_id, 0.2)
    server = create_app(api_db, deliver_webhooks=False, publish_every=0.05)
    transport = httpx.ASGITransport(app=server)
    async with (
        server.router.lifespan_context(server),
        httpx.AsyncClient(transport=transport, base_url="http://townsquare.test"),
    ):
        for _ in range(100):
            if await _status(api_db, content_id) == "published":
                break
            await asyncio.sleep(0.05)
    assert await _status(api_db, content_id) == "published"


async def test_a_stopped_loop_publishes_nothing_more(api_db: Database, acme: Tenant) -> None:
    loop = PublishLoop(api_db, 0.05)
    loop.start()
    await loop.stop()
    content_id = await _schedule(api_db, acme.organization_id, 0.05)
    await asyncio.sleep(0.2)
    assert await _status(api_db, content_id) == "scheduled"
