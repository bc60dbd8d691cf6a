"""Who may call what: one table from every root field to the roles allowed to select it.

The table is checked once per operation, before anything executes, so a denied mutation writes
nothing even when it shares a document with allowed ones. A root field missing from the table is
denied to everyone (and a test fails until it is added), so what lands later is never open by
accident.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from domain.enums import ApiKeyRole

OWNER = ApiKeyRole.OWNER
MANAGER = ApiKeyRole.MANAGER
ANALYST = ApiKeyRole.ANALYST
VIEWER = ApiKeyRole.VIEWER
INGESTION = ApiKeyRole.INGESTION

READERS: Final = frozenset({OWNER, MANAGER, ANALYST, VIEWER})
WRITERS: Final = frozenset({OWNER, MANAGER})
OWNERS: Final = frozenset({OWNER})
INGESTERS: Final = frozenset({OWNER, MANAGER, INGESTION})
EVERYONE: Final = frozenset(ApiKeyRole)

# CRM exports (GET /export/...) carry members' personal data: staff who read analyses may take
# them; viewers see dashboards only and ingestion keys only write.
EXPORT_ROLES: Final = frozenset({OWNER, MANAGER, ANALYST})

# Root fields of Query, by their GraphQL name.
QUERY_RULES: Final[dict[str, frozenset[ApiKeyRole]]] = {
    "viewer": EVERYONE,
    "node": READERS,
    "nodes": READERS,
    "communities": READERS,
    "members": READERS,
    # Webhook URLs and delivery logs are integration settings: those who manage them read them.
    "webhooks": WRITERS,
    "mentions": READERS,
    "escalations": READERS,
    "alerts": READERS,
    "campaigns": READERS,
    # Who changed what is the owner's business (it names every key and request).
    "auditLog": OWNERS,
    # Keys are credentials: only owners list, make or revoke them.
    "apiKeys": OWNERS,
    "calendar": READERS,
    "simulations": READERS,
}

# Root fields of Mutation, by their GraphQL name.
MUTATION_RULES: Final[dict[str, frozenset[ApiKeyRole]]] = {
    "communityCreate": WRITERS,
    "communityUpdate": WRITERS,
    "communityArchive": WRITERS,
    "memberCreate": WRITERS,
    "membershipCreate": WRITERS,
    "membershipUpdate": WRITERS,
    "followCreate": WRITERS,
    "contentPublish": WRITERS,
    "contentUpdate": WRITERS,
    "contentDelete": WRITERS,
    "engagementRecord": INGESTERS,
    "engagementsIngest": INGESTERS,
    "webhookCreate": WRITERS,
    "webhookUpdate": WRITERS,
    "webhookDelete": WRITERS,
    "mentionRecord": INGESTERS,
    "mentionsIngest": INGESTERS,
    "mentionTriage": WRITERS,
    "mentionIgnore": WRITERS,
    "mentionRespond": WRITERS,
    "escalationCreate": WRITERS,
    "escalationRespond": WRITERS,
    "escalationReassign": WRITERS,
    "escalationResolve": WRITERS,
    "campaignCreate": WRITERS,
    "campaignUpdate": WRITERS,
    "campaignClose": WRITERS,
    "campaignTaskCreate": WRITERS,
    "campaignTaskUpdate": WRITERS,
    "conversionRecord": INGESTERS,
    "contentCreate": WRITERS,
    "contentSubmit": WRITERS,
    "contentApprove": WRITERS,
    "contentReject": WRITERS,
    "contentSchedule": WRITERS,
    # A run costs CPU: only those who may change the organization's data may start one.
    "simulationRun": WRITERS,
    "apiKeyCreate": OWNERS,
    "apiKeyRevoke": OWNERS,
}

# Node types some reading roles may not see through `node`/`nodes` (to them such an id is
# unknown); every other Node type follows `node` itself.
NODE_RULES: Final[dict[str, frozenset[ApiKeyRole]]] = {
    # Webhook URLs and delivery logs are integration settings, as `webhooks` is.
    "Webhook": WRITERS,
    "WebhookDelivery": WRITERS,
    "AuditEntry": OWNERS,
    "ApiKey": OWNERS,
}

# Root fields of Subscription (graphql-transport-ws only), by their GraphQL name.
SUBSCRIPTION_RULES: Final[dict[str, frozenset[ApiKeyRole]]] = {
    "mentionAdded": READERS,
    "escalationChanged": READERS,
    "alertRaised": READERS,
    "metricsUpdated": READERS,
    "simulationProgress": READERS,
}

RULES: Final[dict[str, dict[str, frozenset[ApiKeyRole]]]] = {
    "query": QUERY_RULES,
    "mutation": MUTATION_RULES,
    "subscription": SUBSCRIPTION_RULES,
}

# Meta fields answer from the schema alone; introspection itself is switched off in production.
META_FIELDS: Final = frozenset({"__typename", "__schema", "__type"})


def allowed(operation: str, field: str, role: ApiKeyRole) -> bool:
    """May `role` select root `field` of `operation` ("query", "mutation", "subscription")?"""
    if field in META_FIELDS:
        return True
    return role in RULES.get(operation, {}).get(field, frozenset())


def may_see_node(type_name: str, role: ApiKeyRole) -> bool:
    """May `role` see objects of Node type `type_name` (when it may use `node` at all)?"""
    return role in NODE_RULES.get(type_name, READERS)


def denied_fields(operation: str, fields: Iterable[str], role: ApiKeyRole) -> list[str]:
    """The root fields, in order and once each, that `role` may not select."""
    return list(dict.fromkeys(f for f in fields if not allowed(operation, f, role)))
