"""`townsquare webhooks deliver` and `townsquare idempotency purge`, as cron runs them."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from api.cli import app
from domain.db import Database
from domain.entities import Community
from domain.enums import ContentKind
from domain.events import CONTENT_PUBLISHED
from domain.services.content import ContentDraft, ContentService
from domain.services.organizations import OrganizationService
from domain.webhooks.service import WebhookDraft, WebhookService

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("TOWNSQUARE_DATABASE_URL", url)
    monkeypatch.delenv("TOWNSQUARE_ENV", raising=False)
    return url


async def _post_with_a_subscriber(url: str, receiver_url: str) -> None:
    database = Database(url)
    try:
        async with database.session() as session:
            organization = await OrganizationService(session).create("acme", "Acme")
            assert organization.id is not None
            community = Community(
                organization_id=organization.id, name="Town", platform="forum", visibility="public"
            )
            session.add(community)
            await session.commit()
            assert community.id is not None
            await WebhookService(session, organization.id, allow_private=True).create(
                WebhookDraft(url=receiver_url, events=(CONTENT_PUBLISHED,))
            )
            await ContentService(session, organization.id).publish(
                ContentDraft(community.id, ContentKind.POST, "Hello", title="From cron")
            )
    finally:
        await database.dispose()


def test_webhooks_deliver_sends_what_is_due_and_says_how_much(db_url: str, receiver: Any) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    asyncio.run(_post_with_a_subscriber(db_url, receiver.url))

    result = runner.invoke(app, ["webhooks", "deliver"])

    assert result.exit_code == 0, result.output
    assert "1 new deliveries, 1 attempts made" in result.output
    assert len(receiver.requests) == 1
    again = runner.invoke(app, ["webhooks", "deliver"])
    assert "0 new deliveries, 0 attempts made" in again.output
    assert len(receiver.requests) == 1


def test_idempotency_purge_says_how_many_keys_it_removed(db_url: str) -> None:
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    result = runner.invoke(app, ["idempotency", "purge"])
    assert result.exit_code == 0, result.output
    assert "Removed 0 expired idempotency keys" in result.output
