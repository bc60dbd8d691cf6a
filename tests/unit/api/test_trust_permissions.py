"""The permission matrix covers every root field of the schema, read from the schema itself."""

from __future__ import annotations

import pytest

from api.permissions import MUTATION_RULES, QUERY_RULES, SUBSCRIPTION_RULES, allowed
from api.schema import schema
from domain.enums import ApiKeyRole

GRAPHQL = schema._schema
QUERY_FIELDS = sorted(GRAPHQL.query_type.fields) if GRAPHQL.query_type else []
MUTATION_FIELDS = sorted(GRAPHQL.mutation_type.fields) if GRAPHQL.mutation_type else []
SUBSCRIPTION_FIELDS = sorted(GRAPHQL.subscription_type.fields) if GRAPHQL.subscription_type else []
READ_ROLES = {ApiKeyRole.OWNER, ApiKeyRole.MANAGER, ApiKeyRole.ANALYST, ApiKeyRole.VIEWER}
# Integration settings (webhook URLs, delivery logs) are read only by those who manage them.
MANAGED_QUERY_FIELDS = {"webhooks"}
MANAGE_ROLES = {ApiKeyRole.OWNER, ApiKeyRole.MANAGER}
# Credentials and the audit trail are the owner's alone.
OWNER_QUERY_FIELDS = {"auditLog", "apiKeys"}
OWNER_MUTATIONS = {"apiKeyCreate", "apiKeyRevoke"}


def test_every_query_field_of_the_schema_is_in_the_matrix() -> None:
    missing = set(QUERY_FIELDS) - set(QUERY_RULES)
    assert not missing, f"add {sorted(missing)} to QUERY_RULES in api/permissions.py"


def test_every_mutation_of_the_schema_is_in_the_matrix() -> None:
    missing = set(MUTATION_FIELDS) - set(MUTATION_RULES)
    assert not missing, f"add {sorted(missing)} to MUTATION_RULES in api/permissions.py"


def test_every_subscription_of_the_schema_is_in_the_matrix() -> None:
    missing = set(SUBSCRIPTION_FIELDS) - set(SUBSCRIPTION_RULES)
    assert not missing, f"add {sorted(missing)} to SUBSCRIPTION_RULES in api/permissions.py"


def test_the_matrix_names_no_field_the_schema_lacks() -> None:
    assert set(QUERY_RULES) <= set(QUERY_FIELDS)
    assert set(MUTATION_RULES) <= set(MUTATION_FIELDS)
    assert set(SUBSCRIPTION_RULES) <= set(SUBSCRIPTION_FIELDS)


@pytest.mark.parametrize("field", SUBSCRIPTION_FIELDS)
def test_exactly_the_reading_roles_may_subscribe(field: str) -> None:
    assert {role for role in ApiKeyRole if allowed("subscription", field, role)} == READ_ROLES


@pytest.mark.parametrize(
    "field", sorted(set(QUERY_FIELDS) - MANAGED_QUERY_FIELDS - OWNER_QUERY_FIELDS)
)
def test_every_reader_role_may_read_each_query_field(field: str) -> None:
    assert {role for role in ApiKeyRole if allowed("query", field, role)} >= READ_ROLES


@pytest.mark.parametrize("field", sorted(MANAGED_QUERY_FIELDS))
def test_only_owners_and_managers_may_read_integration_settings(field: str) -> None:
    assert {role for role in ApiKeyRole if allowed("query", field, role)} == MANAGE_ROLES


@pytest.mark.parametrize(
    ("operation", "field"),
    [("query", f) for f in sorted(OWNER_QUERY_FIELDS)]
    + [("mutation", f) for f in sorted(OWNER_MUTATIONS)],
)
def test_only_owners_may_read_the_audit_log_and_manage_keys(operation: str, field: str) -> None:
    assert {role for role in ApiKeyRole if allowed(operation, field, role)} == {ApiKeyRole.OWNER}


@pytest.mark.parametrize("field", MUTATION_FIELDS)
def test_analysts_and_viewers_may_write_nothing(field: str) -> None:
    assert not allowed("mutation", field, ApiKeyRole.ANALYST)
    assert not allowed("mutation", field, ApiKeyRole.VIEWER)


def test_an_ingestion_key_may_only_record_engagement_mentions_conversions_and_see_itself() -> None:
    granted = {
        field
        for operation, fields in (("query", QUERY_FIELDS), ("mutation", MUTATION_FIELDS))
        for field in fields
        if allowed(operation, field, ApiKeyRole.INGESTION)
    }
    assert granted == {
        "viewer",
        "engagementRecord",
        "engagementsIngest",
        "mentionRecord",
        "mentionsIngest",
        "conversionRecord",
    }


def test_a_field_nobody_listed_is_denied_to_everyone() -> None:
    assert not any(allowed("mutation", "somethingNew", role) for role in ApiKeyRole)
