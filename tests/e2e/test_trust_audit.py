"""The audit log: one row per successful mutation, in its transaction; owners read it."""

from __future__ import annotations

from typing import Any

import httpx
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts, tenant
from test_trust_roles import keys

from api.ids import decode_id, encode_id
from domain.db import Database
from domain.enums import ApiKeyRole

__all__ = ["acme", "api", "api_db", "http"]

CREATE = """mutation($input: CommunityCreateInput!) {
  communityCreate(input: $input) { community { id } userErrors { code } } }"""
UPDATE = """mutation($input: CommunityUpdateInput!) {
  communityUpdate(input: $input) { community { id name } userErrors { code } } }"""
LOG = """query($filter: AuditLogFilter, $first: Int) { auditLog(filter: $filter, first: $first) {
  totalCount nodes { id action actor actorKeyId targetType targetId requestId occurredAt } } }"""


async def create(api: Api, name: str, request_id: str | None = None) -> dict[str, Any]:
    headers = {**api.headers(), **({"X-Request-Id": request_id} if request_id else {})}
    response = await api.client.post(
        "/graphql",
        json={
            "query": CREATE,
            "variables": {"input": {"name": name, "platform": "FORUM", "visibility": "PUBLIC"}},
        },
        headers=headers,
    )
    body: dict[str, Any] = response.json()
    return body


async def test_a_successful_mutation_writes_one_audit_row_naming_actor_action_target_request(
    api: Api,
) -> None:
    body = await create(api, "Forum", request_id="req-audit-1")
    community = body["data"]["communityCreate"]["community"]["id"]
    log = (await api.data(LOG))["auditLog"]
    assert log["totalCount"] == 1
    [entry] = log["nodes"]
    assert entry["action"] == "communityCreate"
    assert entry["targetType"] == "Community"
    assert entry["targetId"] == community
    assert entry["requestId"] == "req-audit-1"
    assert decode_id(entry["actorKeyId"]) is not None
    assert entry["actor"].startswith("api_key:")


async def test_a_mutation_refused_with_user_errors_writes_no_audit_row(
    api: Api, api_db: Database
) -> None:
    before = await row_counts(api_db)
    body = await create(api, "")  # an empty name is refused
    assert body["data"]["communityCreate"]["userErrors"][0]["code"]
    unknown = encode_id("Community", 987654321)
    refused = await api.data(UPDATE, input={"id": unknown, "name": "x"})
    assert refused["communityUpdate"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await row_counts(api_db) == before
    assert (await api.data(LOG))["auditLog"]["totalCount"] == 0


async def test_each_mutation_of_a_document_writes_its_own_row(api: Api) -> None:
    created = await create(api, "First")
    community = created["data"]["communityCreate"]["community"]["id"]
    await api.data(
        """mutation($a: CommunityUpdateInput!, $b: CommunityArchiveInput!) {
          a: communityUpdate(input: $a) { userErrors { code } }
          b: communityArchive(input: $b) { userErrors { code } } }""",
        a={"id": community, "name": "Renamed"},
        b={"id": community},
    )
    actions = [n["action"] for n in (await api.data(LOG))["auditLog"]["nodes"]]
    assert actions == ["communityArchive", "communityUpdate", "communityCreate"]


async def test_the_audit_log_filters_by_action_target_and_key(api: Api) -> None:
    first = (await create(api, "One"))["data"]["communityCreate"]["community"]["id"]
    await create(api, "Two")
    await api.data(UPDATE, input={"id": first, "name": "Uno"})
    by_target = (await api.data(LOG, filter={"targetId": first}))["auditLog"]
    assert [n["action"] for n in by_target["nodes"]] == ["communityUpdate", "communityCreate"]
    by_action = (await api.data(LOG, filter={"action": "communityCreate"}))["auditLog"]
    assert by_action["totalCount"] == 2
    key = by_target["nodes"][0]["actorKeyId"]
    assert (await api.data(LOG, filter={"actorKeyId": key}))["auditLog"]["totalCount"] == 3
    other_key = encode_id("ApiKey", 987654321)
    assert (await api.data(LOG, filter={"actorKeyId": other_key}))["auditLog"]["totalCount"] == 0
    assert (await api.data(LOG, filter={"targetId": "garbage"}))["auditLog"]["totalCount"] == 0


async def test_only_owners_read_the_audit_log(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant, api: Api
) -> None:
    await create(api, "Forum")
    by_role = await keys(api_db, acme.organization_id)
    for role, key in by_role.items():
        body = await Api(http, key).post(LOG)
        if role is ApiKeyRole.OWNER:
            assert body["data"]["auditLog"]["totalCount"] == 1
        else:
            assert body["data"] is None
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_another_organizations_audit_rows_stay_invisible(
    http: httpx.AsyncClient, api_db: Database, api: Api
) -> None:
    await create(api, "Mine")
    other = Api(http, (await tenant(api_db, "globex")).key)
    assert (await other.data(LOG))["auditLog"]["totalCount"] == 0
    [entry] = (await api.data(LOG))["auditLog"]["nodes"]
    assert (await other.data("query($id: ID!) { node(id: $id) { id } }", id=entry["id"])) == {
        "node": None
    }
