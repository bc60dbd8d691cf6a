"""Campaigns and content approval over HTTP: planning, review by role, schedule, calendar."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts

from api.scalars import serialize_datetime
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService
from domain.timeutil import utcnow

__all__ = ["acme", "api", "api_db", "http"]

COMMUNITY = """mutation { communityCreate(input: {name: "Forum", platform: FORUM,
  visibility: PUBLIC}) { community { id } } }"""
CAMPAIGN = """mutation($input: CampaignCreateInput!) { campaignCreate(input: $input) {
  campaign { id name status budget objective { kpi target due } }
  userErrors { field message code } } }"""
CREATE = """mutation($input: ContentCreateInput!) { contentCreate(input: $input) {
  content { id status campaign { id name } } userErrors { field message code } } }"""
STEP = """mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{
  content {{ id status }} userErrors {{ field message code }} }} }}"""
REJECT = """mutation($id: ID!, $reason: String!) { contentReject(input: {id: $id, reason: $reason})
  { content { status rejectionReason } userErrors { code } } }"""
SCHEDULE = """mutation($id: ID!, $at: DateTime!) { contentSchedule(input: {id: $id, at: $at}) {
  content { id status scheduledAt } userErrors { field message code } } }"""
CALENDAR = """query($from: DateTime!, $to: DateTime!, $communities: [ID!]) {
  calendar(from: $from, to: $to, communityIds: $communities) {
    at content { title status campaign { name } } } }"""


@pytest.fixture
async def staff(http: httpx.AsyncClient, api_db: Database, acme: Tenant) -> dict[str, Api]:
    """One client per role that takes part in review: two managers, an analyst, a viewer."""
    async with api_db.session() as session:
        service = OrganizationService(session)
        issued = {
            "manager": await service.issue_key(acme.organization_id, ApiKeyRole.MANAGER),
            "other_manager": await service.issue_key(acme.organization_id, ApiKeyRole.MANAGER),
            "analyst": await service.issue_key(acme.organization_id, ApiKeyRole.ANALYST),
            "viewer": await service.issue_key(acme.organization_id, ApiKeyRole.VIEWER),
        }
    return {name: Api(http, key.secret) for name, key in issued.items()}


async def _plan(api: Api) -> tuple[str, str]:
    community = (await api.data(COMMUNITY))["communityCreate"]["community"]["id"]
    now = utcnow()
    campaign = await api.data(
        CAMPAIGN,
        input={
            "name": "Spring repairs",
            "objective": {
                "kpi": "engagements",
                "target": 500,
                "due": serialize_datetime(now + timedelta(days=30)),
            },
            "startsAt": serialize_datetime(now - timedelta(days=1)),
            "endsAt": serialize_datetime(now + timedelta(days=30)),
            "budget": 1200,
        },
    )
    created = campaign["campaignCreate"]
    assert created["userErrors"] == []
    assert created["campaign"]["status"] == "ACTIVE"
    return community, created["campaign"]["id"]


async def _step(api: Api, name: str, content_id: str) -> dict[str, Any]:
    result: dict[str, Any] = (await api.data(STEP.format(name=name), id=content_id))[name]
    return result


async def test_a_manager_drafts_and_submits_and_another_approves_and_schedules_by_role(
    api: Api, staff: dict[str, Api]
) -> None:
    community, campaign = await _plan(api)
    analyst, author, manager = staff["analyst"], staff["other_manager"], staff["manager"]
    drafted = await analyst.post(
        CREATE, input={"communityId": community, "kind": "POST", "body": "x"}
    )
    assert drafted["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = await author.data(
        CREATE,
        input={
            "communityId": community,
            "kind": "POST",
            "title": "Patch day",
            "body": "Bring your tents.",
            "campaignId": campaign,
        },
    )
    content = created["contentCreate"]["content"]
    assert content["status"] == "DRAFT"
    assert content["campaign"]["name"] == "Spring repairs"
    assert (await _step(author, "contentSubmit", content["id"]))["content"]["status"] == (
        "IN_REVIEW"
    )
    denied = await analyst.post(STEP.format(name="contentApprove"), id=content["id"])
    assert denied["data"] is None
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _step(manager, "contentApprove", content["id"]))["content"]["status"] == (
        "APPROVED"
    )
    at = serialize_datetime(utcnow() + timedelta(hours=5))
    forbidden = await analyst.post(SCHEDULE, id=content["id"], at=at)
    assert forbidden["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    scheduled = (await manager.data(SCHEDULE, id=content["id"], at=at))["contentSchedule"]
    assert scheduled["content"]["status"] == "SCHEDULED"
    assert scheduled["content"]["scheduledAt"] == at

    window = {
        "from": serialize_datetime(utcnow()),
        "to": serialize_datetime(utcnow() + timedelta(days=1)),
    }
    calendar = (await staff["viewer"].data(CALENDAR, **window))["calendar"]
    assert calendar == [
        {
            "at": at,
            "content": {
                "title": "Patch day",
                "status": "SCHEDULED",
                "campaign": {"name": "Spring repairs"},
            },
        }
    ]
    other = (await api.data(COMMUNITY))["communityCreate"]["community"]["id"]
    narrowed = await staff["viewer"].data(CALENDAR, **window, communities=[other])
    assert narrowed["calendar"] == []


async def test_a_manager_may_not_approve_what_their_own_key_submitted(
    api: Api, staff: dict[str, Api], api_db: Database
) -> None:
    community, _ = await _plan(api)
    manager = staff["manager"]
    created = await manager.data(
        CREATE, input={"communityId": community, "kind": "POST", "body": "Hello"}
    )
    content_id = created["contentCreate"]["content"]["id"]
    await _step(manager, "contentSubmit", content_id)
    before = await row_counts(api_db)
    refused = await _step(manager, "contentApprove", content_id)
    assert refused["content"] is None
    assert refused["userErrors"][0]["code"] == "SELF_APPROVAL"
    assert await row_counts(api_db) == before
    rejected = await staff["other_manager"].data(REJECT, id=content_id, reason="Too short")
    assert rejected["contentReject"]["content"] == {
        "status": "REJECTED",
        "rejectionReason": "Too short",
    }


async def test_a_step_from_the_wrong_status_is_a_user_error_naming_the_current_status(
    api: Api, staff: dict[str, Api]
) -> None:
    community, _ = await _plan(api)
    created = await api.data(CREATE, input={"communityId": community, "kind": "POST", "body": "x"})
    content_id = created["contentCreate"]["content"]["id"]
    refused = await _step(staff["manager"], "contentApprove", content_id)
    assert refused["userErrors"] == [
        {
            "field": ["input", "id"],
            "message": "cannot approve content that is draft; it must be in_review",
            "code": "INVALID_TRANSITION",
        }
    ]


async def test_a_campaign_with_an_unknown_kpi_is_a_user_error(api: Api) -> None:
    now = serialize_datetime(utcnow())
    result = await api.data(
        CAMPAIGN,
        input={
            "name": "Vibes",
            "objective": {"kpi": "vibes", "target": 1, "due": now},
            "startsAt": now,
            "endsAt": now,
        },
    )
    codes = sorted(e["code"] for e in result["campaignCreate"]["userErrors"])
    assert result["campaignCreate"]["campaign"] is None
    assert codes == ["ENDS_BEFORE_START", "UNKNOWN_KPI"]


STAFF = """mutation {
  memberCreate(input: {handle: "mod", displayName: "Mod"}) { member { id } } }"""
JOIN = """mutation($community: ID!, $member: ID!) { membershipCreate(input: {
  communityId: $community, memberId: $member, role: COMMUNITY_MANAGER}) { userErrors { code } } }"""
TASK = """mutation($input: CampaignTaskCreateInput!) { campaignTaskCreate(input: $input) {
  task { id title owner { handle } dependsOn { title } } userErrors { field message code } } }"""
TASK_UPDATE = """mutation($input: CampaignTaskUpdateInput!) { campaignTaskUpdate(input: $input) {
  task { id status } userErrors { field message code } } }"""
TIMELINE = """query($id: ID!) { node(id: $id) { ... on Campaign {
  timeline { id kind title status start end dependsOn }
  progress { kpi target value ratio } } } }"""


async def test_tasks_with_dependencies_draw_a_timeline_and_a_cycle_is_a_user_error(
    api: Api,
) -> None:
    community, campaign = await _plan(api)
    member = (await api.data(STAFF))["memberCreate"]["member"]["id"]
    await api.data(JOIN, community=community, member=member)
    start = utcnow()

    async def task(title: str, days: int, depends_on: list[str]) -> dict[str, Any]:
        begins = start + timedelta(days=days)
        result = await api.data(
            TASK,
            input={
                "campaignId": campaign,
                "title": title,
                "ownerId": member,
                "startsAt": serialize_datetime(begins),
                "dueAt": serialize_datetime(begins + timedelta(days=1)),
                "dependsOn": depends_on,
            },
        )
        created: dict[str, Any] = result["campaignTaskCreate"]
        return created

    brief = (await task("Brief", 0, []))["task"]
    write = (await task("Write", 1, [brief["id"]]))["task"]
    assert write["owner"] == {"handle": "mod"}
    assert write["dependsOn"] == [{"title": "Brief"}]
    looped = await api.data(TASK_UPDATE, input={"id": brief["id"], "dependsOn": [write["id"]]})
    assert looped["campaignTaskUpdate"]["task"] is None
    assert looped["campaignTaskUpdate"]["userErrors"][0]["code"] == "DEPENDENCY_CYCLE"
    done = await api.data(TASK_UPDATE, input={"id": brief["id"], "status": "DONE"})
    assert done["campaignTaskUpdate"]["task"]["status"] == "DONE"
    late = await api.data(
        TASK_UPDATE, input={"id": brief["id"], "dueAt": serialize_datetime(start - timedelta(1))}
    )
    assert late["campaignTaskUpdate"]["userErrors"][0]["code"] == "DUE_BEFORE_START"

    node = (await api.data(TIMELINE, id=campaign))["node"]
    assert [(i["kind"], i["title"], i["dependsOn"]) for i in node["timeline"]] == [
        ("TASK", "Brief", []),
        ("TASK", "Write", [brief["id"]]),
    ]
    assert node["timeline"][0]["status"] == "done"
    assert node["progress"] == {"kpi": "engagements", "target": 500.0, "value": 0.0, "ratio": 0.0}


LISTED = """query($id: ID!, $filter: ContentFilter) { node(id: $id) { ... on Community {
  content(filter: $filter) { nodes { id status } } } } }"""


async def test_a_community_lists_published_content_and_shows_drafts_only_when_asked(
    api: Api,
) -> None:
    community, _ = await _plan(api)
    created = await api.data(
        CREATE, input={"communityId": community, "kind": "POST", "body": "Not yet"}
    )
    draft = created["contentCreate"]["content"]["id"]

    async def listed(**filter_: Any) -> list[str]:
        data = await api.data(LISTED, id=community, filter=filter_ or None)
        return [item["id"] for item in data["node"]["content"]["nodes"]]

    assert await listed() == []
    assert await listed(status="DRAFT") == [draft]
    assert await listed(status=None) == [draft]
