"""Prometheus metrics of the API, served at /metrics: requests, errors and latency per GraphQL
operation name, database pool use, and rate-limit rejections.

One process keeps its figures in memory. Several uvicorn workers are several processes, so
`townsquare serve --workers N` points PROMETHEUS_MULTIPROC_DIR at a fresh directory before the
workers start: every worker then writes its figures there and a scrape of any worker answers
for all of them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import os
import re
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from starlette.requests import Request
from starlette.responses import Response

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_TOKEN_VARIABLE = "TOWNSQUARE_METRICS_TOKEN"

# Latency buckets from a cached read (~1 ms) to a slow bulk write (seconds).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "townsquare_graphql_requests",
    "GraphQL requests by operation name and outcome (ok, error, refused).",
    ["operation", "outcome"],
)
ERRORS = Counter(
    "townsquare_graphql_errors",
    "GraphQL errors by operation name and error code.",
    ["operation", "code"],
)
LATENCY = Histogram(
    "townsquare_graphql_request_duration_seconds",
    "Time from the request's arrival to its last byte, by GraphQL operation name.",
    ["operation"],
    buckets=LATENCY_BUCKETS,
)
RATE_LIMITED = Counter(
    "townsquare_rate_limit_rejections",
    "Operations refused because the API key's bucket lacked the points.",
)
POOL = Gauge(
    "townsquare_db_pool_connections",
    "Database connections of the pool: size, checked_out, overflow.",
    ["state"],
    multiprocess_mode="livesum",
)

# Operation names come from clients: bound the label's values so no client can grow them.
MAX_OPERATION_NAMES = 200
OTHER = "other"
ANONYMOUS = "anonymous"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_DOCUMENT_NAME = re.compile(r"^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)")
_seen: set[str] = set()


def operation_label(name: object, query: str | None = None) -> str:
    """A bounded label for an operation: its name, the name in its document, or a catch-all."""
    if not isinstance(name, str) or not name:
        match = _DOCUMENT_NAME.match(query or "")
        if match is None:
            return ANONYMOUS
        name = match.group(1)
    if not _NAME.fullmatch(name):
        return OTHER
    if name not in _seen:
        if len(_seen) >= MAX_OPERATION_NAMES:
            return OTHER
        _seen.add(name)
    return name


def observe_request(operation: str, seconds: float, outcome: str, error_codes: list[str]) -> None:
    REQUESTS.labels(operation, outcome).inc()
    LATENCY.labels(operation).observe(seconds)
    for code in error_codes:
        ERRORS.labels(operation, code).inc()
        if code == "THROTTLED":
            RATE_LIMITED.inc()


def observe_pool(engine: Any) -> None:
    """The pool's current use; SQLite's and test pools may lack some counts."""
    pool = engine.pool
    for state, method in (
        ("size", "size"),
        ("checked_out", "checkedout"),
        ("overflow", "overflow"),
    ):
        count = getattr(pool, method, None)
        if count is not None:
            POOL.labels(state).set(max(count(), 0))


def registry() -> CollectorRegistry:
    """What a scrape reads: this process, or every worker's files in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        merged = CollectorRegistry()
        multiprocess.MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
        return merged
    return REGISTRY


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format; behind a bearer token when TOWNSQUARE_METRICS_TOKEN is set."""
    token = os.environ.get(METRICS_TOKEN_VARIABLE)
    sent = request.headers.get("authorization", "").encode()
    if token and not hmac.compare_digest(sent, f"Bearer {token}".encode()):
        return Response("metrics need the metrics token\n", status_code=401)
    observe_pool(request.app.state.database.engine)
    return Response(generate_latest(registry()), media_type=CONTENT_TYPE_LATEST)


def worker_exited(pid: int) -> None:
    """Drop a stopped worker's live gauges from the shared directory."""
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
