"""Campaigns served as the application role: row-level security holds every campaign path.

Campaign, task, conversion and attribution rows are tenant rows under the policies of migrations
0009, 0005b and 0005c; a path that forgot to announce its organization would see nothing here.
PostgreSQL only (see tests/e2e/test_api_row_security.py for the fixtures).
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import orjson
import pytest
from api_harness import Api, tenant
from test_api_row_security import app_db, client, owner_db

from api.scalars import serialize_datetime
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService
from domain.services.scheduling import publish_due
from domain.timeutil import utcnow

pytestmark = pytest.mark.postgres
__all__ = ["app_db", "client", "owner_db"]

SETUP = """mutation($campaign: CampaignCreateInput!) {
  communityCreate(input: {name: "Forum", platform: FORUM, visibility: PUBLIC}) {
    community { id } }
  memberCreate(input: {handle: "fan", displayName: "Fan"}) { member { id } }
  campaignCreate(input: $campaign) { campaign { id } userErrors { code } } }"""
STAFF = """mutation($community: ID!, $member: ID!) { membershipCreate(input: {
  communityId: $community, memberId: $member, role: MODERATOR}) { userErrors { code } } }"""
TASK = """mutation($input: CampaignTaskCreateInput!) { campaignTaskCreate(input: $input) {
  task { id } userErrors { code } } }"""
DRAFT = """mutation($input: ContentCreateInput!) { contentCreate(input: $input) {
  content { id } userErrors { code } } }"""
STEP = """mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{ userErrors {{ code }} }} }}"""
SCHEDULE = """mutation($id: ID!, $at: DateTime!) { contentSchedule(input: {id: $id, at: $at}) {
  userErrors { code } } }"""
ENGAGE = """mutation($content: ID!, $member: ID!) { engagementRecord(input: {contentId: $content,
  memberId: $member, kind: LIKE}) { userErrors { code } } }"""
READ = """query($id: ID!) { node(id: $id) { ... on Campaign { name
  timeline { kind title } roi { value cost } progress { kpi value } } }
  campaigns(first: 5) { totalCount } }"""


async def test_a_campaign_runs_end_to_end_as_the_app_role(
    owner_db: Database, app_db: Database, client: httpx.AsyncClient
) -> None:
    acme = await tenant(owner_db, "acme")
    async with owner_db.session() as session:
        reviewer = await OrganizationService(session).issue_key(
            acme.organization_id, ApiKeyRole.MANAGER
        )
    api, other = Api(client, acme.key), Api(client, reviewer.secret)
    now = utcnow()
    objective = {"kpi": "likes", "target": 2, "due": serialize_datetime(now + timedelta(days=9))}
    setup = await api.data(
        SETUP,
        campaign={
            "name": "Walled",
            "objective": objective,
            "startsAt": serialize_datetime(now - timedelta(hours=1)),
            "endsAt": serialize_datetime(now + timedelta(days=9)),
            "budget": 10,
        },
    )
    community = setup["communityCreate"]["community"]["id"]
    fan = setup["memberCreate"]["member"]["id"]
    campaign = setup["campaignCreate"]["campaign"]["id"]
    await api.data(STAFF, community=community, member=fan)
    task = await api.data(
        TASK,
        input={
            "campaignId": campaign,
            "title": "Brief",
            "ownerId": fan,
            "startsAt": serialize_datetime(now),
            "dueAt": serialize_datetime(now + timedelta(days=1)),
        },
    )
    assert task["campaignTaskCreate"]["userErrors"] == []
    draft = await api.data(
        DRAFT,
        input={"communityId": community, "kind": "POST", "body": "Hi", "campaignId": campaign},
    )
    content = draft["contentCreate"]["content"]["id"]
    await api.data(STEP.format(name="contentSubmit"), id=content)
    approved = await other.data(STEP.format(name="contentApprove"), id=content)
    assert approved["contentApprove"]["userErrors"] == []
    at = utcnow() + timedelta(seconds=1)
    await other.data(SCHEDULE, id=content, at=serialize_datetime(at))
    assert await publish_due(app_db, at + timedelta(seconds=1)) == 1
    await api.data(ENGAGE, content=content, member=fan)
    line = orjson.dumps({"externalId": "o-1", "memberHandle": "fan", "value": 30}) + b"\n"
    ingested = await client.post(
        "/ingest/conversions", content=line, headers={"Authorization": f"Bearer {acme.key}"}
    )
    assert ingested.json() == {"ingested": 1, "duplicates": [], "errors": []}

    read = await api.data(READ, id=campaign)
    assert read["node"] == {
        "name": "Walled",
        "timeline": [{"kind": "TASK", "title": "Brief"}, {"kind": "CONTENT", "title": ""}],
        "roi": {"value": 30.0, "cost": 10.0},
        "progress": {"kpi": "likes", "value": 1.0},
    }
    stranger = await tenant(owner_db, "globex")
    elsewhere = await Api(client, stranger.key).data(READ, id=campaign)
    assert elsewhere == {"node": None, "campaigns": {"totalCount": 0}}
