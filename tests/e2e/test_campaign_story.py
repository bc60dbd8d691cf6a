"""The whole campaign story over HTTP: plan, draft, review, schedule, publish, engage, convert,
measure, and a webhook receiver on loopback hears about the publication and the conversion."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http

from api.scalars import serialize_datetime
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService
from domain.services.scheduling import publish_due
from domain.timeutil import utcnow
from domain.webhooks.dispatch import DeliverySettings, Dispatcher

__all__ = ["acme", "api", "api_db", "http"]

SETUP = """mutation($hook: WebhookCreateInput!) {
  webhookCreate(input: $hook) { userErrors { code } }
  communityCreate(input: {name: "Forum", platform: FORUM, visibility: PUBLIC}) {
    community { id } }
  memberCreate(input: {handle: "fan", displayName: "Fan"}) { member { id } } }"""
CAMPAIGN = """mutation($input: CampaignCreateInput!) { campaignCreate(input: $input) {
  campaign { id } userErrors { code } } }"""
DRAFT = """mutation($input: ContentCreateInput!) { contentCreate(input: $input) {
  content { id status } userErrors { code } } }"""
STEP = """mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{
  content {{ status }} userErrors {{ code message }} }} }}"""
SCHEDULE = """mutation($id: ID!, $at: DateTime!) { contentSchedule(input: {id: $id, at: $at}) {
  content { status } userErrors { code } } }"""
ENGAGE = """mutation($content: ID!, $member: ID!) { engagementRecord(input: {contentId: $content,
  memberId: $member, kind: CLICK}) { userErrors { code } } }"""
CALENDAR = """query($from: DateTime!, $to: DateTime!) { calendar(from: $from, to: $to) {
  content { id status } } }"""
MEASURE = """query($id: ID!, $community: ID!) {
  campaign: node(id: $id) { ... on Campaign {
    progress { kpi value ratio conversions conversionValue roi }
    roi { value cost roi conversions }
    lastTouch: roi(model: LAST_TOUCH) { value }
    timeline { kind status } } }
  community: node(id: $community) { ... on Community { roi { value cost roi } } } }"""


@pytest.fixture
async def managers(http: httpx.AsyncClient, api_db: Database, acme: Tenant) -> tuple[Api, Api]:
    async with api_db.session() as session:
        service = OrganizationService(session)
        first = await service.issue_key(acme.organization_id, ApiKeyRole.MANAGER)
        second = await service.issue_key(acme.organization_id, ApiKeyRole.MANAGER)
    return Api(http, first.secret), Api(http, second.secret)


async def _step(api: Api, name: str, content_id: str) -> None:
    result = (await api.data(STEP.format(name=name), id=content_id))[name]
    assert result["userErrors"] == [], result


async def test_a_campaign_runs_from_plan_to_roi_and_tells_a_webhook_receiver(
    api: Api,
    http: httpx.AsyncClient,
    acme: Tenant,
    api_db: Database,
    managers: tuple[Api, Api],
    receiver: Any,
) -> None:
    author, reviewer = managers
    now = utcnow()
    hook = {"url": receiver.url, "events": ["CONTENT_PUBLISHED", "CONVERSION_RECORDED"]}
    setup = await api.data(SETUP, hook=hook)
    community = setup["communityCreate"]["community"]["id"]
    fan = setup["memberCreate"]["member"]["id"]
    campaign = (
        await api.data(
            CAMPAIGN,
            input={
                "name": "Launch",
                "objective": {
                    "kpi": "conversion_value",
                    "target": 100,
                    "due": serialize_datetime(now + timedelta(days=14)),
                },
                "startsAt": serialize_datetime(now - timedelta(hours=1)),
                "endsAt": serialize_datetime(now + timedelta(days=14)),
                "budget": 50,
            },
        )
    )["campaignCreate"]["campaign"]["id"]

    draft = await author.data(
        DRAFT,
        input={
            "communityId": community,
            "kind": "POST",
            "body": "It is here",
            "campaignId": campaign,
        },
    )
    content = draft["contentCreate"]["content"]["id"]
    await _step(author, "contentSubmit", content)
    await _step(reviewer, "contentApprove", content)
    at = utcnow() + timedelta(seconds=1)
    scheduled = await reviewer.data(SCHEDULE, id=content, at=serialize_datetime(at))
    assert scheduled["contentSchedule"]["content"]["status"] == "SCHEDULED"

    assert await publish_due(api_db, at + timedelta(seconds=1)) == 1
    window = {
        "from": serialize_datetime(now - timedelta(days=1)),
        "to": serialize_datetime(now + timedelta(days=1)),
    }
    calendar = (await api.data(CALENDAR, **window))["calendar"]
    assert calendar == [{"content": {"id": content, "status": "PUBLISHED"}}]

    assert (await api.data(ENGAGE, content=content, member=fan))["engagementRecord"] == {
        "userErrors": []
    }
    batch = orjson.dumps({"externalId": "order-1", "memberHandle": "fan", "value": 80}) + b"\n"
    ingested = await http.post(
        "/ingest/conversions", content=batch, headers={"Authorization": f"Bearer {acme.key}"}
    )
    assert ingested.json() == {"ingested": 1, "duplicates": [], "errors": []}

    measured = await api.data(MEASURE, id=campaign, community=community)
    assert measured["campaign"]["progress"] == {
        "kpi": "conversion_value",
        "value": 80.0,
        "ratio": 0.8,
        "conversions": 1,
        "conversionValue": 80.0,
        "roi": 1.6,
    }
    assert measured["campaign"]["roi"] == {
        "value": 80.0,
        "cost": 50.0,
        "roi": 1.6,
        "conversions": 1,
    }
    assert measured["campaign"]["lastTouch"] == {"value": 80.0}
    assert measured["campaign"]["timeline"] == [{"kind": "CONTENT", "status": "published"}]
    assert measured["community"]["roi"] == {"value": 80.0, "cost": 50.0, "roi": 1.6}

    created, sent = await Dispatcher(api_db, DeliverySettings(allow_private=True)).run_once()
    assert (created, sent) == (2, 2)
    heard = sorted(r.headers["townsquare-event"] for r in receiver.requests)
    assert heard == ["content.published", "conversion.recorded"]
    bodies = {b["event"]: b for b in (json.loads(r.body) for r in receiver.requests)}
    assert bodies["content.published"]["subject"]["id"] == content
    assert bodies["conversion.recorded"]["data"]["externalId"] == "order-1"
    assert bodies["conversion.recorded"]["data"]["value"] == 80.0
