"""Every root field of the schema, tried by every role: denied ones say FORBIDDEN and run nothing.

The fields come from introspection, so a field added later without a row in the permission
matrix is denied to everyone and fails `test_every_field_answers_each_role_as_the_matrix_says`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, http, row_counts

from api.permissions import allowed
from domain.db import Database
from domain.enums import ApiKeyRole
from domain.services.organizations import OrganizationService

__all__ = ["acme", "api", "api_db", "http"]

INTROSPECT = """{ __schema {
  queryType { fields { name args { name type { ...T } } } }
  mutationType { fields { name args { name type { ...T } } } }
} }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"""


def type_text(node: dict[str, Any]) -> str:
    if node["kind"] == "NON_NULL":
        return type_text(node["ofType"]) + "!"
    if node["kind"] == "LIST":
        return f"[{type_text(node['ofType'])}]"
    return str(node["name"])


def operation(kind: str, field: dict[str, Any]) -> str:
    """The smallest document selecting `field`; required arguments are left unset on purpose,
    so an allowed call stops at variable checks and writes nothing either."""
    required = [a for a in field["args"] if a["type"]["kind"] == "NON_NULL"]
    declared = ", ".join(f"${a['name']}: {type_text(a['type'])}" for a in required)
    arguments = ", ".join(f"{a['name']}: ${a['name']}" for a in required)
    header = f"{kind}({declared})" if declared else kind
    call = f"{field['name']}({arguments})" if arguments else field["name"]
    return f"{header} {{ {call} {{ __typename }} }}"


async def keys(database: Database, organization_id: int) -> dict[ApiKeyRole, str]:
    async with database.session() as session:
        service = OrganizationService(session)
        return {
            role: (await service.issue_key(organization_id, role)).secret for role in ApiKeyRole
        }


def is_forbidden(body: dict[str, Any]) -> bool:
    return any(e.get("extensions", {}).get("code") == "FORBIDDEN" for e in body.get("errors", []))


async def test_every_field_answers_each_role_as_the_matrix_says(
    api: Api, http: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    schema = (await api.data(INTROSPECT))["__schema"]
    by_role = await keys(api_db, acme.organization_id)
    before = await row_counts(api_db)
    tried = 0
    for kind, root in (("query", "queryType"), ("mutation", "mutationType")):
        for field in schema[root]["fields"]:
            for role, key in by_role.items():
                body = await Api(http, key).post(operation(kind, field))
                expected = not allowed(kind, field["name"], role)
                assert is_forbidden(body) == expected, (role, field["name"], body)
                if expected:
                    assert body["data"] is None
                tried += 1
    assert tried >= 5 * 17
    assert await row_counts(api_db) == before


CREATE = """mutation($input: CommunityCreateInput!) {
  communityCreate(input: $input) { community { id } userErrors { code } } }"""
CREATE_INPUT = {"name": "Denied", "platform": "FORUM", "visibility": "PUBLIC"}


@pytest.mark.parametrize("role", [ApiKeyRole.ANALYST, ApiKeyRole.VIEWER, ApiKeyRole.INGESTION])
async def test_a_role_that_may_not_write_gets_forbidden_and_nothing_is_written(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant, role: ApiKeyRole
) -> None:
    key = (await keys(api_db, acme.organization_id))[role]
    before = await row_counts(api_db)
    body = await Api(http, key).post(CREATE, input=CREATE_INPUT)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == {"code": "FORBIDDEN", "fields": ["communityCreate"]}
    assert f"a {role.value} key may not use communityCreate" in error["message"]
    assert await row_counts(api_db) == before


async def test_a_manager_may_create_a_community(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    key = (await keys(api_db, acme.organization_id))[ApiKeyRole.MANAGER]
    data = await Api(http, key).data(CREATE, input=CREATE_INPUT)
    assert data["communityCreate"]["userErrors"] == []


async def test_one_denied_field_refuses_the_whole_document_even_after_allowed_ones(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    key = (await keys(api_db, acme.organization_id))[ApiKeyRole.INGESTION]
    before = await row_counts(api_db)
    body = await Api(http, key).post(
        "mutation($input: CommunityCreateInput!) { "
        "a: engagementsIngest(input: {items: []}) { userErrors { code } } "
        "b: communityCreate(input: $input) { community { id } } }",
        input=CREATE_INPUT,
    )
    assert is_forbidden(body)
    assert body["data"] is None
    assert await row_counts(api_db) == before


async def test_root_fields_hidden_in_a_fragment_are_checked_too(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    key = (await keys(api_db, acme.organization_id))[ApiKeyRole.INGESTION]
    body = await Api(http, key).post(
        "query { ...Q } fragment Q on Query { communities { totalCount } }"
    )
    assert is_forbidden(body)


async def test_an_ingestion_key_sees_its_own_viewer(
    http: httpx.AsyncClient, api_db: Database, acme: Tenant
) -> None:
    key = (await keys(api_db, acme.organization_id))[ApiKeyRole.INGESTION]
    data = await Api(http, key).data("{ viewer { role } }")
    assert data["viewer"]["role"] == "INGESTION"
