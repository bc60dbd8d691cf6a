"""The one GraphQL schema: every area's queries and mutations merged, plus its export."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from pathlib import Path

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.audit.queries import AuditQuery
from api.campaigns.mutations import CampaignMutation
from api.campaigns.queries import CampaignQuery
from api.communities.mutations import CommunityMutation
from api.communities.queries import CommunityQuery
from api.connections import MAX_PAGE_SIZE
from api.content.mutations import ContentMutation
from api.cost import CostPlanner
from api.documents import CachedParse, CachedValidation, ValidationResults, parse_cache
from api.duplicates import MaxDuplicateFields
from api.execution import bind, planned_executor
from api.keys.mutations import ApiKeyMutation
from api.keys.queries import ApiKeyQuery
from api.listening.mutations import ListeningMutation
from api.listening.queries import ListeningQuery
from api.listening.subscriptions import ListeningSubscription
from api.members.mutations import MemberMutation
from api.members.queries import MemberQuery
from api.metrics.subscriptions import MetricsSubscription
from api.nodes import NodeQuery
from api.organizations.queries import OrganizationQuery
from api.ratelimit import MemoryBuckets, RateLimiter
from api.scalars import DateTime
from api.settings import TrustSettings
from api.simulations.mutations import SimulationMutation
from api.simulations.queries import SimulationQuery
from api.simulations.subscriptions import SimulationSubscription
from api.trust import SafeErrors, TrustGuard
from api.webhooks.mutations import WebhookMutation
from api.webhooks.queries import WebhookQuery
from domain.errors import DomainError

Query = merge_types(
    "Query",
    (
        OrganizationQuery,
        NodeQuery,
        CommunityQuery,
        MemberQuery,
        WebhookQuery,
        ListeningQuery,
        CampaignQuery,
        SimulationQuery,
        AuditQuery,
        ApiKeyQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        CommunityMutation,
        MemberMutation,
        ContentMutation,
        WebhookMutation,
        ListeningMutation,
        CampaignMutation,
        SimulationMutation,
        ApiKeyMutation,
    ),
)
Subscription = merge_types(
    "Subscription", (ListeningSubscription, MetricsSubscription, SimulationSubscription)
)


class TownsquareSchema(strawberry.Schema):
    """Logs only the errors nobody meant: refusals of bad input are the client's business."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        unexpected = [e for e in errors if is_unexpected(e)]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def is_unexpected(error: GraphQLError) -> bool:
    """An exception nobody meant, raised by a resolver (production masks and logs these).

    An error without a path never reached a resolver: a literal or variable a scalar refused
    (`DateTime` "" carries the scalar's ValueError) is the client's mistake, not ours.
    """
    original = error.original_error
    if original is None or error.path is None:
        return False
    return not isinstance(original, GraphQLError | DomainError)


def build_schema(settings: TrustSettings, limiter: RateLimiter | None = None) -> TownsquareSchema:
    """The schema with the safety of `settings`: limits, roles, cost, and production's masks."""
    bucket = limiter or MemoryBuckets(settings.bucket_size, settings.restore_rate)
    planner = CostPlanner(settings.weights, settings.cost_cache_size)
    extensions: list[Callable[[], SchemaExtension]] = [
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        partial(QueryDepthLimiter, max_depth=settings.max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(TrustGuard, settings, planner, bucket),
    ]
    # Before validation (and its cache): duplicated fields make validation itself quadratic.
    extensions.append(
        partial(
            MaxDuplicateFields,
            settings.max_duplicate_fields,
            ValidationResults(max(settings.document_cache_size, 1)),
        )
    )
    if settings.document_cache_size > 0:
        # Front ends repeat a few documents: parse and validate each once (bounded LRUs).
        validated = ValidationResults(settings.document_cache_size)
        extensions += [
            partial(CachedParse, parse_cache(settings.document_cache_size)),
            partial(CachedValidation, validated),
        ]
    if settings.production:
        extensions += [DisableIntrospection, partial(SafeErrors, is_unexpected)]
    executor = planned_executor()
    built = TownsquareSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=executor,
        config=StrawberryConfig(
            relay_max_results=MAX_PAGE_SIZE,
            scalar_map={datetime: DateTime},
            disable_field_suggestions=settings.production,
        ),
    )
    planner.bind(built._schema)
    bind(executor, built)
    return built


# The development schema: what `schema.graphql` is exported from (safety does not change SDL).
schema = build_schema(TrustSettings())


def schema_text() -> str:
    """The schema in SDL, as committed to `schema.graphql`."""
    return schema.as_str() + "\n"


def export_schema(path: str | Path) -> Path:
    """Write the SDL to `path` (what `townsquare export-schema` runs)."""
    target = Path(path)
    target.write_text(schema_text(), encoding="utf-8")
    return target
