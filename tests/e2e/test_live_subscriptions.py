"""Subscriptions over a real websocket (graphql-transport-ws) against uvicorn: each field hears
its events, keys are checked on connection_init, tenants never hear each other, and only the
graphql-transport-ws protocol is spoken."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from api_harness import Tenant, acme, api_db, tenant
from live_harness import LEGACY_WS, TRANSPORT_WS, Http, closed_with, live, served, until_heard

from api.app import create_app
from api.ids import encode_id
from api.settings import TrustSettings
from domain.db import Database
from domain.enums import ApiKeyRole, MembershipRole, Platform, Visibility
from domain.services.communities import CommunityDraft, CommunityService
from domain.services.members import Interest, MemberDraft, MemberService, MembershipDraft
from domain.services.organizations import OrganizationService, TopicDraft
from domain.timeutil import utcnow

__all__ = ["acme", "api_db"]

RECORD = """mutation R($input: MentionRecordInput!) {
  mentionRecord(input: $input) { mention { id } userErrors { code } }
}"""
INGEST = """mutation I($input: MentionsIngestInput!) {
  mentionsIngest(input: $input) { ingestedCount userErrors { code } }
}"""
ESCALATE = """mutation E($input: EscalationCreateInput!) {
  escalationCreate(input: $input) { escalation { id } userErrors { code } }
}"""
PUBLISH = """mutation P($input: ContentPublishInput!) {
  contentPublish(input: $input) { content { id } userErrors { code } }
}"""


@pytest.fixture
async def base(api_db: Database) -> AsyncIterator[str]:
    async with served(create_app(api_db, TrustSettings(), deliver_webhooks=False)) as url:
        yield url


async def _forum(db: Database, organization_id: int, slug: str = "billing") -> dict[str, str]:
    """A topic, a forum and an expert on the topic; their global ids."""
    async with db.session() as session:
        topic = await OrganizationService(session).add_topic(
            organization_id, TopicDraft(slug, slug.title(), (slug, "invoice"))
        )
        community = await CommunityService(session, organization_id).create(
            CommunityDraft(f"Forum {slug}", Platform.FORUM, Visibility.PUBLIC)
        )
        members = MemberService(session, organization_id)
        assert topic.id is not None
        assert community.id is not None
        expert = await members.create(
            MemberDraft(f"{slug}-expert", "Bea", interests=(Interest(topic.id, 0.9),))
        )
        assert expert.id is not None
        await members.join(
            MembershipDraft(community.id, expert.id, role=MembershipRole.SUBJECT_MATTER_EXPERT)
        )
    return {
        "topic": encode_id("Topic", topic.id),
        "community": encode_id("Community", community.id),
        "expert": encode_id("Member", expert.id),
    }


async def _mention(http: Http, text: str, sentiment: float | None = None) -> str:
    fields: dict[str, Any] = {"source": "forum", "text": text, "authorHandle": "@kim"}
    if sentiment is not None:
        fields["sentiment"] = sentiment
    made = (await http.data(RECORD, input=fields))["mentionRecord"]
    assert made["userErrors"] == []
    return str(made["mention"]["id"])


async def test_a_recorded_mention_reaches_a_mention_added_subscriber(
    base: str, acme: Tenant
) -> None:
    http = Http(base, acme.key)
    async with live(base, acme.key) as client:
        operation = await client.subscribe(
            "subscription { mentionAdded { id text authorHandle status topics { slug } } }"
        )
        data = await until_heard(
            client, operation, lambda n: _mention(http, f"invoice question {n}")
        )
    heard = data["mentionAdded"]
    assert heard["text"].startswith("invoice question")
    assert (heard["authorHandle"], heard["status"]) == ("@kim", "NEW")


async def test_an_escalation_reaches_an_escalation_changed_subscriber(
    base: str, api_db: Database, acme: Tenant
) -> None:
    ids = await _forum(api_db, acme.organization_id)
    http = Http(base, acme.key)

    async def escalate(attempt: int) -> None:
        mention = await _mention(http, f"my invoice is wrong, attempt {attempt}")
        made = await http.data(ESCALATE, input={"mentionId": mention, "reason": "billing"})
        assert made["escalationCreate"]["userErrors"] == []

    async with live(base, acme.key) as client:
        operation = await client.subscribe(
            "subscription { escalationChanged { id status assignee { id handle } } }"
        )
        data = await until_heard(client, operation, escalate)
    heard = data["escalationChanged"]
    assert heard["status"] == "OPEN"
    assert heard["assignee"]["id"] == ids["expert"]


async def test_a_snowball_of_complaints_reaches_an_alert_raised_subscriber(
    base: str, api_db: Database, acme: Tenant
) -> None:
    http = Http(base, acme.key)

    async def snowball(attempt: int) -> None:
        # A fresh topic each time: an alert is raised once per topic and episode.
        slug = f"outage{attempt}"
        await _forum(api_db, acme.organization_id, slug)
        angry = {"source": "twitter", "text": f"{slug}: terrible, broken!", "sentiment": -0.8}
        items = [{**angry, "authorHandle": f"@angry{i}"} for i in range(6)]
        done = (await http.data(INGEST, input={"items": items}))["mentionsIngest"]
        assert done["ingestedCount"] == 6

    async with live(base, acme.key) as client:
        operation = await client.subscribe(
            "subscription { alertRaised { id status windowCount topic { slug } } }"
        )
        data = await until_heard(client, operation, snowball)
    heard = data["alertRaised"]
    assert heard["status"] == "OPEN"
    assert heard["topic"]["slug"].startswith("outage")
    assert heard["windowCount"] >= 5


async def test_published_content_reaches_a_metrics_updated_subscriber_of_its_community(
    base: str, api_db: Database, acme: Tenant
) -> None:
    ids = await _forum(api_db, acme.organization_id)
    other = await _forum(api_db, acme.organization_id, "shipping")
    http = Http(base, acme.key)
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    window = {"from": today.isoformat(), "to": (today + timedelta(days=1)).isoformat()}

    async def publish(attempt: int, community: str = ids["community"]) -> None:
        content = {"communityId": community, "kind": "POST", "body": f"post {attempt}"}
        made = (await http.data(PUBLISH, input=content))["contentPublish"]
        assert made["userErrors"] == []

    query = """subscription S($id: ID!, $window: MetricsWindowInput!) {
      metricsUpdated(communityId: $id) { id name metrics(window: $window) { summary { posts } } }
    }"""

    def posts(data: dict[str, Any]) -> int:
        assert data["metricsUpdated"]["id"] == ids["community"]
        return int(data["metricsUpdated"]["metrics"]["summary"]["posts"])

    async with live(base, acme.key) as client:
        operation = await client.subscribe(query, id=ids["community"], window=window)
        # Setting the forum up changed its metrics too; wait for an update that counts a post.
        first = await until_heard(client, operation, publish, lambda data: posts(data) >= 1)
        before = max([posts(first)] + [posts(d) for d in await client.drain(operation, 1.5)])
        # A burst of writes is announced about once a second, not once per write, and ends with
        # the state after the last of them; another community's writes are not announced here.
        # The burst is sent at once so that it lasts well under 8 s even on a loaded machine.
        await asyncio.gather(
            *(publish(100 + n) for n in range(8)),
            *(publish(200 + n, other["community"]) for n in range(8)),
        )
        updates = await client.until(operation, lambda data: posts(data) == before + 8)
        updates += await client.drain(operation, 1.5)
    assert 1 <= len(updates) < 8
    assert posts(updates[-1]) == before + 8


async def test_metrics_of_a_community_the_caller_cannot_see_are_not_found(
    base: str, api_db: Database, acme: Tenant
) -> None:
    globex = await tenant(api_db, "globex")
    theirs = await _forum(api_db, globex.organization_id)
    async with live(base, acme.key) as client:
        operation = await client.subscribe(
            "subscription S($id: ID!) { metricsUpdated(communityId: $id) { id } }",
            id=theirs["community"],
        )
        message = await client.receive(5.0)
    assert message["id"] == operation
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "NOT_FOUND"


async def test_another_organizations_subscriber_hears_nothing(
    base: str, api_db: Database, acme: Tenant
) -> None:
    globex = await tenant(api_db, "globex")
    ours, theirs = Http(base, acme.key), Http(base, globex.key)
    query = "subscription { mentionAdded { text } }"
    async with live(base, globex.key) as spy, live(base, acme.key) as client:
        spying = await spy.subscribe(query)
        # The spy is surely listening once it has heard its own organization's mention.
        await until_heard(spy, spying, lambda n: _mention(theirs, f"globex {n}"))
        await spy.quiet(0.5)
        operation = await client.subscribe(query)
        heard = await until_heard(client, operation, lambda n: _mention(ours, f"acme secret {n}"))
        assert heard["mentionAdded"]["text"].startswith("acme secret")
        assert await spy.quiet(1.0)


@pytest.mark.parametrize("key", ["none", "wrong", "ingestion"])
async def test_a_connection_without_a_reading_key_is_closed_as_forbidden(
    base: str, api_db: Database, acme: Tenant, key: str
) -> None:
    payload: dict[str, Any] | None = None
    if key == "wrong":
        payload = {"authorization": "Bearer tsq_not_a_key"}
    elif key == "ingestion":
        async with api_db.session() as session:
            issued = await OrganizationService(session).issue_key(
                acme.organization_id, ApiKeyRole.INGESTION
            )
        payload = {"authorization": f"Bearer {issued.secret}"}
    assert await closed_with(base, payload, TRANSPORT_WS) == 4403


async def test_the_legacy_graphql_ws_protocol_is_refused(base: str, acme: Tenant) -> None:
    code = await closed_with(base, {"authorization": f"Bearer {acme.key}"}, LEGACY_WS)
    assert code == 4406


async def test_a_viewer_may_subscribe_but_queries_belong_on_http(
    base: str, api_db: Database, acme: Tenant
) -> None:
    async with api_db.session() as session:
        viewer = await OrganizationService(session).issue_key(
            acme.organization_id, ApiKeyRole.VIEWER
        )
    async with live(base, viewer.secret) as client:
        operation = await client.subscribe("query { viewer { role } }")
        message = await client.receive(5.0)
    assert message["id"] == operation
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_REQUEST"


async def test_a_subscription_sent_over_http_is_refused(base: str, acme: Tenant) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://{base}/graphql",
            json={"query": "subscription { mentionAdded { id } }"},
            headers={"Authorization": f"Bearer {acme.key}"},
        )
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
