"""The API's safety settings in one object: mode, query limits, cost weights, rate limits, CORS.

Every figure has a default fit for production; tests build their own with smaller buckets.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from api.tokens import TokenIssuer
from domain.pagination import DEFAULT_PAGE_SIZE

ENVIRONMENT_VARIABLE = "TOWNSQUARE_ENV"
CORS_VARIABLE = "TOWNSQUARE_CORS_ORIGINS"
REDIS_VARIABLE = "TOWNSQUARE_REDIS_URL"
WEBHOOK_WORKER_VARIABLE = "TOWNSQUARE_WEBHOOK_WORKER"
SCHEDULER_INTERVAL_VARIABLE = "TOWNSQUARE_SCHEDULER_INTERVAL"
MAX_DUPLICATE_FIELDS_VARIABLE = "TOWNSQUARE_MAX_DUPLICATE_FIELDS"
MAX_NODES_VARIABLE = "TOWNSQUARE_MAX_NODES"
REQUEST_TIMEOUT_VARIABLE = "TOWNSQUARE_REQUEST_TIMEOUT"
DEFAULT_REQUEST_TIMEOUT = 30.0
DEFAULT_SCHEDULER_INTERVAL = 15.0


@dataclass(frozen=True)
class CostWeights:
    """What a query costs before it runs (GitHub's node limit, Shopify's points)."""

    object: int = 1
    connection: int = 2
    mutation: int = 10
    default_page_size: int = DEFAULT_PAGE_SIZE
    # A plain list whose length the query does not say (e.g. `topics`) counts as this many.
    default_list_size: int = 1


@dataclass(frozen=True)
class TrustSettings:
    """How strict the API is; `from_env` reads the deployment's choices."""

    production: bool = False
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_cost: int = 5000
    # Copies of one response key in one selection set (fragments merged). Relay front ends
    # repeat `id` through each component's fragment, so a handful is normal; thousands are an
    # attack on validation, which compares every pair of copies.
    max_duplicate_fields: int = 10
    # GitHub's node limit: the items a query may ask for, page sizes multiplied down nested
    # connections and summed. Below max_cost it would never be reached first (every item costs
    # at least 1), so it matters to a deployment that raises max_cost.
    max_nodes: int = 500_000
    weights: CostWeights = CostWeights()
    # Token bucket per API key, in cost points: a full bucket allows one maximal query and
    # refills at `restore_rate` points per second, as Shopify's GraphQL Admin API does.
    bucket_size: int = 10000
    restore_rate: float = 500.0
    cors_origins: tuple[str, ...] = ()
    redis_url: str | None = None
    cost_cache_size: int = 512
    # Parsed and validated documents, and persisted queries, kept per process (LRU).
    document_cache_size: int = 1000
    persisted_query_cache_size: int = 1000
    # Seconds an HTTP GraphQL request may run before it is cut off (503 TIMEOUT, nothing
    # written); None runs requests for as long as they take.
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    # How often an open websocket looks its key up again, for revocations no event announced.
    key_recheck_seconds: float = 30.0
    # Short-lived JWTs for browsers (TOWNSQUARE_JWT_SECRET); None leaves only API keys.
    tokens: TokenIssuer | None = None

    @classmethod
    def from_env(cls) -> TrustSettings:
        origins = os.environ.get(CORS_VARIABLE, "")
        return cls(
            production=is_production(),
            cors_origins=tuple(o.strip() for o in origins.split(",") if o.strip()),
            redis_url=os.environ.get(REDIS_VARIABLE) or None,
            tokens=TokenIssuer.from_env(),
            max_duplicate_fields=_positive_int(MAX_DUPLICATE_FIELDS_VARIABLE, 10),
            max_nodes=_positive_int(MAX_NODES_VARIABLE, 500_000),
            request_timeout=request_timeout(),
        )


def request_timeout() -> float | None:
    """TOWNSQUARE_REQUEST_TIMEOUT in seconds (default 30); 0 turns the limit off."""
    text = os.environ.get(REQUEST_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_REQUEST_TIMEOUT
    seconds = float(text)
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"{REQUEST_TIMEOUT_VARIABLE} must be 0 or more seconds, not {text}")
    return seconds or None


def _positive_int(variable: str, default: int) -> int:
    text = os.environ.get(variable, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{variable} must be a whole number of at least 1, not {text!r}")
    return int(text)


def is_production() -> bool:
    return os.environ.get(ENVIRONMENT_VARIABLE, "development").lower() == "production"


def webhook_worker_enabled() -> bool:
    """Whether the server delivers webhooks itself (set 0 when only cron runs deliveries)."""
    return os.environ.get(WEBHOOK_WORKER_VARIABLE, "1").strip() not in {"0", "false", "no"}


def scheduler_interval() -> float:
    """Seconds between the server's passes over due scheduled content; 0 turns it off (cron
    then runs `townsquare publish-due`)."""
    text = os.environ.get(SCHEDULER_INTERVAL_VARIABLE, "").strip()
    if not text:
        return DEFAULT_SCHEDULER_INTERVAL
    seconds = float(text)
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"{SCHEDULER_INTERVAL_VARIABLE} must be 0 or more seconds, not {text}")
    return seconds
