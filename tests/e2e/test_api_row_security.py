"""The API served as the application role: PostgreSQL's row-level security holds every request.

Production connects as a login member of `townsquare_app`, which row-level security holds
(migration 0009). Every request path must therefore tell PostgreSQL its organization, or it
would see nothing; these tests serve the app that way and drive reads, writes, events,
idempotent replays and webhooks through it. PostgreSQL only; the rest of the suite connects as
a superuser, whom the policies never hold.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_harness import Api, Tenant, migrated_database, tenant
from live_harness import Http, live, served, until_heard
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from api.app import create_app
from api.ids import encode_id
from api.settings import TrustSettings
from api.simulations.runner import SimulationRunner
from api.subscriptions.broadcast import LocalBroadcaster
from domain.campaigns.workflow import ContentWorkflow, PlannedContent
from domain.db import Database
from domain.entities import Community
from domain.enums import ContentKind, Platform, Visibility
from domain.events import CONTENT_PUBLISHED
from domain.idempotency.store import IdempotencyStore
from domain.idempotency.tables import IdempotencyKey
from domain.row_security import APP_ROLE
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.scheduling import publish_due
from domain.simulations.tables import Simulation
from domain.tables import TENANT_TABLES
from domain.timeutil import utcnow
from domain.webhooks.dispatch import DeliverySettings, Dispatcher
from domain.webhooks.service import WebhookDraft, WebhookService

pytestmark = pytest.mark.postgres

LOGIN_ROLE = "townsquare_app_wall_test"
TABLE_NAMES = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)
SKIP_REASON = (
    "row-level security exists only on PostgreSQL; set TOWNSQUARE_TEST_DATABASE_URL "
    "(e.g. postgresql://postgres@127.0.0.1:5432/test) to run these tests"
)


def _postgres_url() -> str:
    url = os.environ.get("TOWNSQUARE_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("TOWNSQUARE_REQUIRE_POSTGRES"):
            pytest.fail("TOWNSQUARE_REQUIRE_POSTGRES is set but " + SKIP_REASON)
        pytest.skip(SKIP_REASON)
    return url


@pytest.fixture
async def owner_db() -> AsyncIterator[Database]:
    """The migrated test database, as its owner (the superuser) sees it."""
    database = await migrated_database(_postgres_url())
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql(
            f"DO $$ BEGIN CREATE ROLE {LOGIN_ROLE} LOGIN IN ROLE {APP_ROLE};"
            " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        )
    yield database
    await database.dispose()


@pytest.fixture
async def app_db(owner_db: Database) -> AsyncIterator[Database]:
    """The same database, connected as the server connects in production."""
    url = make_url(_postgres_url()).set(username=LOGIN_ROLE).render_as_string(False)
    database = Database(url, pool_size=2)
    yield database
    await database.dispose()


@pytest.fixture
async def client(app_db: Database) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(app_db, deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as http:
        yield http


async def _create(api: Api, field: str, kind: str, values: dict[str, object]) -> str:
    """The global id of what mutation `field` created (its payload's `kind`) from `values`."""
    input_type = field[0].upper() + field[1:] + "Input"
    query = (
        f"mutation M($input: {input_type}!) {{ {field}(input: $input) "
        f"{{ {kind} {{ id }} userErrors {{ field message code }} }} }}"
    )
    payload = (await api.data(query, input=values))[field]
    assert payload["userErrors"] == []
    created: str = payload[kind]["id"]
    return created


@contextmanager
def statement_scopes(database: Database) -> Iterator[list[tuple[str, str]]]:
    """(tenant table, scope) of every statement sent: the scope its transaction announced
    (`org:<id>` or `bypass`), or `none`. Announcements are local, so a transaction's end
    forgets them, as PostgreSQL does."""
    seen: list[tuple[str, str]] = []
    engine = database.engine.sync_engine

    def before(conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "set_config('townsquare.organization_id'" in statement:
            organization, bypass = parameters
            conn.info["scope"] = "bypass" if bypass == "on" else f"org:{organization}"
            return
        for table in set(TABLE_NAMES.findall(statement)) & set(TENANT_TABLES):
            seen.append((table, conn.info.get("scope", "none")))

    def ended(conn: Any) -> None:
        conn.info.pop("scope", None)

    hooks = [("before_cursor_execute", before), ("commit", ended), ("rollback", ended)]
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield seen
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


async def _foreign_community(owner_db: Database, other: Tenant) -> str:
    async with owner_db.session() as session:
        community = await CommunityService(session, other.organization_id).create(
            CommunityDraft("Elsewhere", Platform.FORUM, Visibility.PUBLIC)
        )
    assert community.id is not None
    return encode_id("Community", community.id)


async def test_every_kind_of_request_works_for_its_own_organization_under_the_policies(
    owner_db: Database, app_db: Database, client: httpx.AsyncClient
) -> None:
    acme = await tenant(owner_db, "acme")
    globex = await tenant(owner_db, "globex")
    foreign = await _foreign_community(owner_db, globex)
    api = Api(client, acme.key)
    with statement_scopes(app_db) as scopes:
        await _exercise(api, client, foreign, owner_db, acme)
    # Only the key lookup that finds the caller's organization crosses tenants; everything
    # else ran inside the caller's organization.
    assert {table for table, scope in scopes if scope == "bypass"} == {"api_key"}
    others = {scope for table, scope in scopes if table != "api_key"}
    assert others == {f"org:{acme.organization_id}"}
    assert {table for table, _ in scopes} >= {"community", "member", "engagement", "webhook"}


async def _exercise(
    api: Api, client: httpx.AsyncClient, foreign: str, owner_db: Database, acme: Tenant
) -> None:

    community = await _create(
        api,
        "communityCreate",
        "community",
        {"name": "Trail runners", "platform": "FORUM", "visibility": "PUBLIC"},
    )
    member = await _create(api, "memberCreate", "member", {"handle": "ada", "displayName": "Ada"})
    content = await _create(
        api,
        "contentPublish",
        "content",
        {"communityId": community, "kind": "POST", "body": "Hello", "authorId": member},
    )
    await _create(
        api,
        "webhookCreate",
        "webhook",
        {"url": "http://127.0.0.1:9/hooks", "events": ["CONTENT_PUBLISHED"]},
    )

    record = {
        "query": "mutation M($input: EngagementRecordInput!) { engagementRecord(input: $input)"
        " { engagement { id } userErrors { code } } }",
        "variables": {"input": {"contentId": content, "memberId": member, "kind": "LIKE"}},
    }
    headers = {**api.headers(), "Idempotency-Key": str(uuid.uuid4())}
    first = await client.post("/graphql", json=record, headers=headers)
    again = await client.post("/graphql", json=record, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()

    exported = await client.get("/export/members.ndjson", headers=api.headers())
    assert exported.status_code == 200
    assert [line.count('"ada"') for line in exported.text.splitlines()] == [1]

    seen = await api.data(
        "query Q($foreign: ID!) { communities(first: 10) { totalCount nodes { id } }"
        " foreign: node(id: $foreign) { id } webhooks { totalCount } }",
        foreign=foreign,
    )
    assert seen["communities"] == {"totalCount": 1, "nodes": [{"id": community}]}
    assert seen["foreign"] is None
    assert seen["webhooks"]["totalCount"] == 1

    async with owner_db.engine.connect() as connection:
        written = dict(
            (
                await connection.execute(
                    text(
                        "SELECT 'engagement', count(*) FROM engagement WHERE organization_id = :o"
                        " UNION ALL SELECT 'event', count(*) FROM domain_event"
                        " WHERE organization_id = :o"
                    ),
                    {"o": acme.organization_id},
                )
            ).all()  # type: ignore[arg-type]
        )
    assert written["engagement"] == 1
    assert written["event"] >= 1


async def _due_post_with_a_webhook(owner_db: Database, org: int) -> None:
    """A post scheduled a minute from now, a webhook for its publication and a day-old
    Idempotency-Key, all of organization `org`."""
    async with owner_db.session() as session:
        community = Community(
            organization_id=org, name="Town", platform="forum", visibility="public"
        )
        session.add(community)
        session.add(
            IdempotencyKey(
                organization_id=org,
                key=str(uuid.uuid4()),
                request_hash="0" * 64,
                created_at=utcnow() - timedelta(days=2),
            )
        )
        await session.commit()
        assert community.id is not None
        hooks = WebhookService(session, org, allow_private=True)
        await hooks.create(
            WebhookDraft(url="http://127.0.0.1:9/hooks", events=(CONTENT_PUBLISHED,))
        )
        workflow = ContentWorkflow(session, org, None)
        post = await workflow.create(PlannedContent(community.id, ContentKind.POST, "Hi", "post"))
        assert post.id is not None
        await workflow.submit(post.id)
        await workflow.approve(post.id)
        await workflow.schedule(post.id, utcnow() + timedelta(minutes=1))


async def test_the_servers_background_jobs_serve_every_organization_as_the_app_role(
    owner_db: Database, app_db: Database
) -> None:
    # The scheduler, the webhook dispatcher, the idempotency purge and the simulation runner run
    # inside the server, on its database: they must pass the policies explicitly, and only they
    # do.
    acme, globex = await tenant(owner_db, "acme"), await tenant(owner_db, "globex")
    for organization_id in (acme.organization_id, globex.organization_id):
        await _due_post_with_a_webhook(owner_db, organization_id)
    assert await publish_due(app_db, utcnow() + timedelta(hours=1)) == 2
    assert await Dispatcher(app_db, DeliverySettings(allow_private=True)).fan_out() == 2
    assert await IdempotencyStore(app_db).purge() == 2
    for organization_id in (acme.organization_id, globex.organization_id):
        await _stale_simulation(owner_db, organization_id)
    runner = SimulationRunner(app_db, LocalBroadcaster())
    assert len(await runner.sweep()) == 2


async def _stale_simulation(database: Database, organization_id: int) -> None:
    """A run whose server stopped saying it is alive ten minutes ago."""
    silent = utcnow() - timedelta(minutes=10)
    async with database.session() as session:
        session.add(
            Simulation(
                organization_id=organization_id,
                scenario="crisis-response",
                strategies=["silent"],
                seeds=2,
                days=5,
                members=100,
                status="running",
                heartbeat_at=silent,
            )
        )
        await session.commit()


async def test_a_live_subscriber_hears_its_organizations_events_under_the_policies(
    owner_db: Database, app_db: Database
) -> None:
    acme = await tenant(owner_db, "acme")
    record = """mutation R($input: MentionRecordInput!) {
      mentionRecord(input: $input) { mention { id } userErrors { code } } }"""

    async def mention(attempt: int) -> None:
        fields = {"source": "forum", "text": f"hello {attempt}", "authorHandle": "@kim"}
        made = await Http(base, acme.key).data(record, input=fields)
        assert made["mentionRecord"]["userErrors"] == []

    app = create_app(app_db, TrustSettings(), deliver_webhooks=False)
    with statement_scopes(app_db) as scopes:
        async with served(app) as base, live(base, acme.key) as client:
            operation = await client.subscribe("subscription { mentionAdded { id text } }")
            data = await until_heard(client, operation, mention)
    assert data["mentionAdded"]["text"].startswith("hello")
    # Besides the key lookups, only the served app's background passes cross tenants: the
    # scheduler (content), the idempotency purge and the simulation runner's sweep.
    assert {t for t, scope in scopes if scope == "bypass"} <= {
        "api_key",
        "content",
        "idempotency_key",
        "simulation",
    }
    mentions = {scope for table, scope in scopes if table.startswith("mention")}
    assert mentions == {f"org:{acme.organization_id}"}
