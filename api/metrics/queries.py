"""Resolvers of the metrics fields on Community and Organization: thin calls to the loaders."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError

from api.enums import MetricsGranularity as Granularity
from api.errors import query_error
from api.metrics.types import MetricsReport, MetricsWindowInput, metrics_query
from api.permissions import READERS
from api.selection import fields_of, selected_fields
from domain.errors import DomainError
from domain.metrics.report import KPI_NAMES
from domain.repositories.metrics import Scope

# The summary's GraphQL field names, and the KPI each reads.
KPI_FIELDS = {
    name.split("_")[0] + "".join(p.title() for p in name.split("_")[1:]): name for name in KPI_NAMES
}


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
        query = metrics_query(window, granularity, compare_to, *selected(info))
    except DomainError as error:
        raise query_error(error) from error
    report = await context.loaders.metrics.reports.load((scope, key, query))
    return MetricsReport.of(report)


def selected(info: strawberry.Info) -> tuple[frozenset[str] | None, bool]:
    """What the report's selection reads: the summary's KPIs (None: all, as a comparison
    compares every KPI) and whether the series; through fragments, and erring towards more."""
    fragments = info._raw_info.fragments
    fields = selected_fields(info)
    names = {field.name.value for field in fields}
    if "comparison" in names:
        return None, "series" in names
    kpis = {
        KPI_FIELDS[kpi.name.value]
        for field in fields
        if field.name.value == "summary"
        for kpi in fields_of(field.selection_set, fragments)
        if kpi.name.value in KPI_FIELDS
    }
    return frozenset(kpis), "series" in names
