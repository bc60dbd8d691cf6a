"""The ASGI application: GraphQL at /graphql behind API keys, and the health endpoints.

Run with `uvicorn --factory api.app:create_app` (or `townsquare serve`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import bearer_key, unauthenticated
from api.context import Context
from api.health import healthz, readyz
from api.ratelimit import MemoryBuckets, RateLimiter
from api.responses import OrjsonResponse
from api.schema import build_schema
from api.settings import ENVIRONMENT_VARIABLE, TrustSettings, is_production
from domain.db import Database
from domain.errors import Unauthenticated
from domain.services.organizations import OrganizationService

__all__ = ["ENVIRONMENT_VARIABLE", "create_app", "is_production"]

# Where the authenticated request's session and principal wait for `get_context`.
STATE_KEY = "townsquare.request"
JSON = "application/json"


class TownsquareGraphQL(GraphQL):
    """Strawberry's ASGI view, with a key check and one database session per request."""

    def __init__(self, database: Database, settings: TrustSettings, limiter: RateLimiter) -> None:
        # Strawberry refuses mutations over GET by itself; production refuses GET altogether.
        super().__init__(
            build_schema(settings, limiter),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=not settings.production,
        )
        self.database = database
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        adapter = self.request_adapter_class(request)
        if self.should_render_graphql_ide(adapter):
            # The IDE page itself needs no key; every operation it sends does. Production has
            # no IDE configured, so Strawberry answers its page with 404.
            await super().__call__(scope, receive, send)
            return
        if self.settings.production and (refusal := transport_refusal(request)) is not None:
            await refusal(scope, receive, send)
            return
        async with self.database.session() as session:
            try:
                principal = await OrganizationService(session).authenticate(bearer_key(request))
            except Unauthenticated as reason:
                await unauthenticated(reason)(scope, receive, send)
                return
            scope[STATE_KEY] = (session, principal)
            await super().__call__(scope, receive, send)

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.scope.get(STATE_KEY)
        if state is None:
            # Only the IDE page gets here unauthenticated, and it executes nothing.
            return None  # type: ignore[return-value]
        session, principal = state
        return Context(request, session, principal, response)  # type: ignore[arg-type]

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def transport_refusal(request: Request) -> Response | None:
    """Production takes operations only as JSON POST: no GET (cacheable, logged URLs, CSRF-able
    by a plain link) and no form posts (which browsers send cross-site without a preflight)."""
    if request.method != "POST":
        return graphql_refusal(405, "Send GraphQL operations as a JSON POST.", {"Allow": "POST"})
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        return graphql_refusal(415, "Send GraphQL operations with Content-Type: application/json.")
    return None


def graphql_refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}
    return OrjsonResponse(body, status_code=status, headers=headers)


def rate_limiter(settings: TrustSettings) -> RateLimiter:
    """Buckets in Redis when a URL is configured (shared by all workers), else in memory."""
    if settings.redis_url:
        from api.redis_ratelimit import RedisBuckets  # only deployments with Redis need it

        return RedisBuckets(settings.redis_url, settings.bucket_size, settings.restore_rate)
    return MemoryBuckets(settings.bucket_size, settings.restore_rate)


def create_app(
    database: Database | None = None,
    settings: TrustSettings | None = None,
    limiter: RateLimiter | None = None,
) -> Starlette:
    """The application over `database`, or over TOWNSQUARE_DATABASE_URL when none is given."""
    db = database if database is not None else Database()
    trust = settings if settings is not None else TrustSettings.from_env()

    buckets = limiter or rate_limiter(trust)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await db.dispose()
        close = getattr(buckets, "close", None)
        if close is not None:  # a Redis connection pool; memory buckets have nothing to close
            await close()

    graphql = TownsquareGraphQL(db, trust, buckets)
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        middleware=[cors(trust)],
        lifespan=lifespan,
    )
    app.state.database = db
    return app


def cors(settings: TrustSettings) -> Middleware:
    # Only listed origins may call from a browser; with none listed, no cross-origin call works.
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["POST"] if settings.production else ["GET", "POST"],
        allow_headers=["Authorization", "Content-Type"],
        expose_headers=["X-RateLimit-Limit", "X-RateLimit-Remaining", "Retry-After"],
        max_age=600,
    )
