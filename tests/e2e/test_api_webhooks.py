"""Webhooks over the GraphQL API: manage them, read the delivery log, and the server delivers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http, tenant

from api.app import create_app
from api.settings import TrustSettings
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService
from domain.webhooks.signing import verify

__all__ = ["acme", "api", "api_db", "http"]

CREATE = """mutation($input: WebhookCreateInput!) { webhookCreate(input: $input) {
  webhook { id url events active description } signingSecret
  userErrors { field message code } } }"""
UPDATE = """mutation($input: WebhookUpdateInput!) { webhookUpdate(input: $input) {
  webhook { id url events active } userErrors { field code } } }"""
DELETE = """mutation($input: WebhookDeleteInput!) { webhookDelete(input: $input) {
  deletedWebhookId userErrors { field code } } }"""
LIST = """{ webhooks(first: 10) { totalCount nodes { id url events
  deliveries(first: 5) { totalCount nodes { id event deliveryId status attempts statusCode
    error durationMs nextAttemptAt deliveredAt } } } } }"""
COMMUNITY = """mutation { communityCreate(input: {name: "Town", platform: FORUM,
  visibility: PUBLIC}) { community { id } userErrors { code } } }"""
PUBLISH = """mutation($input: ContentPublishInput!) { contentPublish(input: $input) {
  content { id } userErrors { field code } } }"""


async def _create(api: Api, url: str, **extra: Any) -> dict[str, Any]:
    data = await api.data(CREATE, input={"url": url, "events": ["CONTENT_PUBLISHED"], **extra})
    result: dict[str, Any] = data["webhookCreate"]
    return result


async def _publish(api: Api, title: str) -> None:
    community = (await api.data(COMMUNITY))["communityCreate"]["community"]["id"]
    published = await api.data(
        PUBLISH,
        input={"communityId": community, "kind": "POST", "title": title, "body": "Hello"},
    )
    assert published["contentPublish"]["userErrors"] == []


async def test_a_webhook_is_created_with_its_secret_shown_once_then_listed_without_it(
    api: Api,
) -> None:
    created = await _create(api, "https://hooks.example.com/in", description="CRM")
    assert created["userErrors"] == []
    assert created["signingSecret"].startswith("whsec_")
    assert created["webhook"]["events"] == ["CONTENT_PUBLISHED"]
    listed = (await api.data(LIST))["webhooks"]
    assert listed["totalCount"] == 1
    assert listed["nodes"][0]["id"] == created["webhook"]["id"]
    assert "signingSecret" not in listed["nodes"][0]


async def test_a_webhook_is_updated_and_deleted_and_then_unknown(api: Api) -> None:
    webhook_id = (await _create(api, "https://hooks.example.com/in"))["webhook"]["id"]
    updated = await api.data(
        UPDATE, input={"id": webhook_id, "active": False, "events": ["ALERT_RAISED"]}
    )
    assert updated["webhookUpdate"]["webhook"]["active"] is False
    assert updated["webhookUpdate"]["webhook"]["events"] == ["ALERT_RAISED"]
    deleted = await api.data(DELETE, input={"id": webhook_id})
    assert deleted["webhookDelete"]["deletedWebhookId"] == webhook_id
    again = await api.data(DELETE, input={"id": webhook_id})
    assert again["webhookDelete"]["userErrors"] == [{"field": ["input", "id"], "code": "NOT_FOUND"}]


async def test_bad_webhook_input_is_a_user_error_and_writes_nothing(api: Api) -> None:
    refused = await api.data(CREATE, input={"url": "ftp://example.com", "events": []})
    codes = {(tuple(e["field"]), e["code"]) for e in refused["webhookCreate"]["userErrors"]}
    assert codes == {(("input", "url"), "UNSUPPORTED_SCHEME"), (("input", "events"), "BLANK")}
    assert refused["webhookCreate"]["signingSecret"] is None
    assert (await api.data(LIST))["webhooks"]["totalCount"] == 0


async def test_another_organizations_webhook_id_is_unknown(
    api: Api, api_db: Database, http: httpx.AsyncClient
) -> None:
    webhook_id = (await _create(api, "https://hooks.example.com/in"))["webhook"]["id"]
    other = Api(http, (await tenant(api_db, "globex")).key)
    found = await other.data("query($id: ID!) { node(id: $id) { id } }", id=webhook_id)
    assert found["node"] is None
    refused = await other.data(DELETE, input={"id": webhook_id})
    assert refused["webhookDelete"]["userErrors"][0]["code"] == "NOT_FOUND"


async def test_a_viewer_cannot_read_a_webhook_through_node(
    api: Api, api_db: Database, acme: Tenant, http: httpx.AsyncClient
) -> None:
    webhook_id = (await _create(api, "https://hooks.example.com/in"))["webhook"]["id"]
    async with api_db.session() as session:
        issued = await OrganizationService(session).issue_key(
            acme.organization_id, ApiKeyRole.VIEWER
        )
    viewer = Api(http, issued.secret)
    found = await viewer.data("query($id: ID!) { node(id: $id) { id } }", id=webhook_id)
    assert found["node"] is None


@pytest.fixture
async def prod(api_db: Database, acme: Tenant) -> AsyncIterator[Api]:
    app = create_app(api_db, TrustSettings(production=True), deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield Api(client, acme.key)


async def test_production_refuses_a_loopback_url_that_development_accepts(
    prod: Api, api: Api, receiver: Any
) -> None:
    refused = await _create(prod, receiver.url)
    assert [e["code"] for e in refused["userErrors"]] == ["UNSAFE_URL"]
    accepted = await _create(api, receiver.url)
    assert accepted["userErrors"] == []


async def test_the_server_delivers_a_published_post_in_the_background(
    api_db: Database, acme: Tenant, receiver: Any
) -> None:
    app = create_app(api_db, deliver_webhooks=True)
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client,
    ):
        api = Api(client, acme.key)
        secret = (await _create(api, receiver.url))["signingSecret"]
        await _publish(api, "Live")
        for _ in range(100):
            if receiver.requests:
                break
            await asyncio.sleep(0.05)
        [request] = receiver.requests
        verify(request.headers["townsquare-signature"], request.body, secret)
        log = (await api.data(LIST))["webhooks"]["nodes"][0]["deliveries"]
        for _ in range(50):
            if log["nodes"][0]["status"] == "SUCCEEDED":
                break
            await asyncio.sleep(0.05)
            log = (await api.data(LIST))["webhooks"]["nodes"][0]["deliveries"]
    assert log["totalCount"] == 1
    [delivery] = log["nodes"]
    assert delivery["event"] == "CONTENT_PUBLISHED"
    assert delivery["status"] == "SUCCEEDED"
    assert delivery["attempts"] == 1
    assert delivery["statusCode"] == 200
    assert delivery["deliveryId"] == request.headers["townsquare-delivery"]
    assert delivery["deliveredAt"] is not None
    assert delivery["nextAttemptAt"] is None
