"""Resolvers of the metrics fields on Community and Organization: thin calls to the loaders."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from api.enums import MetricsGranularity as Granularity
from api.errors import query_error
from api.metrics.types import MetricsReport, MetricsWindowInput, metrics_query
from api.permissions import READERS
from domain.errors import DomainError
from domain.repositories.metrics import Scope


async def metrics_of(
    info: strawberry.Info,
    scope: Scope,
    key: int,
    window: MetricsWindowInput,
    granularity: Granularity,
    compare_to: MetricsWindowInput | None,
) -> MetricsReport:
    context = info.context
    # `viewer` is open to ingestion keys; metrics behind it are for reading roles only.
    if context.principal.role not in READERS:
        raise GraphQLError(
            "Forbidden: this key's role may not read metrics.", extensions={"code": "FORBIDDEN"}
        )
    try:
        query = metrics_query(window, granularity, compare_to)
    except DomainError as error:
        raise query_error(error) from error
    report = await context.loaders.metrics.reports.load((scope, key, query))
    return MetricsReport.of(report)
