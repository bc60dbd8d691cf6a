"""The ASGI application: GraphQL at /graphql behind API keys, NDJSON conversion ingestion at
/ingest/conversions, and the health endpoints.

Run with `uvicorn --factory api.app:create_app` (or `townsquare serve`).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
from cross_web import StarletteRequestAdapter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute, request_response
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.http.async_base_view import AsyncHTTPRequestAdapter
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from api.access import AccessMiddleware, RequestRecord, configure_access_log, request_record
from api.auth import authenticate, token_endpoint, unauthenticated
from api.batching import RequestLock
from api.campaigns.ingest import ingest_conversions
from api.context import Context
from api.deadline import TIMEOUT, Deadline, guarding_commits
from api.exports import export_endpoint
from api.health import healthz, readyz
from api.idempotency import Idempotent, graphql_mutation
from api.observability import metrics_endpoint, operation_label, worker_exited
from api.permissions import READERS
from api.persisted import (
    PersistedQueryRefusal,
    QueryStore,
    persisted_hash,
    query_store,
    resolve,
)
from api.ratelimit import MemoryBuckets, RateLimiter
from api.responses import OrjsonResponse
from api.schema import build_schema
from api.settings import (
    ENVIRONMENT_VARIABLE,
    TrustSettings,
    is_production,
    scheduler_interval,
    webhook_worker_enabled,
)
from api.simulations.runner import SimulationRunner
from api.subscriptions.bridge import EventBridge, broadcaster_for
from api.subscriptions.broadcast import Broadcaster
from api.subscriptions.context import LiveContext
from api.subscriptions.guard import start_guard
from domain import row_security
from domain.db import Database
from domain.errors import Unauthenticated
from domain.idempotency.store import IdempotencyStore, purge_periodically
from domain.services.scheduling import PublishLoop
from domain.webhooks.dispatch import DeliverySettings
from domain.webhooks.loop import DeliveryLoop

__all__ = ["ENVIRONMENT_VARIABLE", "create_app", "is_production"]

# Where the authenticated request's session and principal wait for `get_context`.
STATE_KEY = "townsquare.request"
# A new persisted query's (hash, document), stored once the document proves runnable.
PERSIST_KEY = "townsquare.persist"
# A websocket's LiveContext, whose guard is stopped when the connection ends.
LIVE_KEY = "townsquare.live"
JSON = "application/json"
# Error codes of a document that never ran: such a document is not worth persisting.
UNRUNNABLE = frozenset(
    {
        "GRAPHQL_PARSE_FAILED",
        "GRAPHQL_VALIDATION_FAILED",
        "MAX_DEPTH_EXCEEDED",
        "MAX_ALIASES_EXCEEDED",
        "MAX_TOKENS_EXCEEDED",
        "MAX_DUPLICATE_FIELDS_EXCEEDED",
        "INTROSPECTION_DISABLED",
    }
)
# A websocket must say who it is this soon after opening, or it is closed (4408).
CONNECTION_INIT_TIMEOUT = timedelta(seconds=10)


class ScopedRequestAdapter(StarletteRequestAdapter):
    """Strawberry's request adapter, showing the ASGI scope the access record lives in."""

    @property
    def scope(self) -> Scope:
        return self._request.scope


class TownsquareGraphQL(GraphQL):
    """Strawberry's ASGI view, with a key check and one database session per request."""

    request_adapter_class = ScopedRequestAdapter

    def __init__(
        self,
        database: Database,
        settings: TrustSettings,
        limiter: RateLimiter,
        queries: QueryStore,
        broadcaster: Broadcaster,
    ) -> None:
        # Strawberry refuses mutations over GET by itself; production refuses GET altogether.
        # Subscriptions speak graphql-transport-ws only: the legacy graphql-ws protocol (and
        # Strawberry's HTTP streaming transports) are left off.
        super().__init__(
            build_schema(settings, limiter),
            graphql_ide=None if settings.production else "graphiql",
            allow_queries_via_get=not settings.production,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=CONNECTION_INIT_TIMEOUT,
        )
        self.database = database
        self.settings = settings
        self.queries = queries
        self.broadcaster = broadcaster

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # The key arrives in `connection_init`, checked by `on_ws_connect`.
            try:
                await super().__call__(scope, receive, send)
            finally:
                live = scope.get(LIVE_KEY)
                if isinstance(live, LiveContext):
                    live.stop_guard()
            return
        try:
            await self._serve(scope, receive, send)
        except PersistedQueryRefusal as refusal:
            record = request_record(scope)
            if record is not None:
                record.error_codes.append(refusal.code)
                record.refused = True
            await graphql_refusal(refusal.status, refusal.message, code=refusal.code)(
                scope, receive, send
            )

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        record = request_record(scope)
        adapter = self.request_adapter_class(request)
        if self.should_render_graphql_ide(adapter):
            # The IDE page itself needs no key; every operation it sends does. Production has
            # no IDE configured, so Strawberry answers its page with 404.
            await super().__call__(scope, receive, send)
            return
        if record is not None:
            record.graphql = True
        if self.settings.production and (refusal := transport_refusal(request)) is not None:
            _refused(record, "BAD_REQUEST")
            await refusal(scope, receive, send)
            return
        # Finding the key's organization is the one cross-tenant read of a request; from then
        # on PostgreSQL's row-level security holds the session to that organization.
        async with self.database.session(cross_tenant=True) as session:
            try:
                principal = await authenticate(session, request, self.settings.tokens)
            except Unauthenticated as reason:
                _refused(record, "UNAUTHENTICATED")
                await unauthenticated(reason)(scope, receive, send)
                return
            await row_security.enter(session, principal.organization_id)
            if record is not None:
                record.key_id = principal.key_id
            lock = RequestLock()
            scope[STATE_KEY] = (session, principal, lock)
            try:
                await self._within_time_limit(scope, receive, send, session)
            finally:
                # Fields cancelled by a failing sibling may leave DataLoader batches behind.
                await lock.close()

    async def _within_time_limit(
        self, scope: Scope, receive: Receive, send: Send, session: AsyncSession
    ) -> None:
        """Run the operation, cut off (503 TIMEOUT, nothing written) at the time limit."""
        limit = self.settings.request_timeout
        if limit is None:
            await super().__call__(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                deadline.give_up()  # the answer is on its way: it is not cut any more
                started = True
            await send(message)

        try:
            async with asyncio.timeout(limit) as timeout:
                deadline = Deadline(timeout)
                with guarding_commits(session, deadline):
                    await super().__call__(scope, receive, sending)
        except TimeoutError:
            if started or not deadline.expired():
                raise
            _refused(request_record(scope), TIMEOUT)
            message = (
                f"The request ran longer than {limit:g} s and was stopped; nothing was "
                "written. Ask for less, or retry later."
            )
            await graphql_refusal(503, message, {"Retry-After": "1"}, TIMEOUT)(scope, receive, send)

    async def get_context(  # type: ignore[override]
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        if isinstance(request, WebSocket):
            live = LiveContext(
                request,
                self.database,
                self.broadcaster,
                production=self.settings.production,
                tokens=self.settings.tokens,
                recheck_seconds=self.settings.key_recheck_seconds,
            )
            # Where `__call__` finds the connection's guard to stop it once the socket is gone.
            request.scope[LIVE_KEY] = live
            return live
        state = request.scope.get(STATE_KEY)
        if state is None:
            # Only the IDE page gets here unauthenticated, and it executes nothing.
            return None  # type: ignore[return-value]
        session, principal, lock = state
        return Context(
            request,  # type: ignore[arg-type]
            session,
            principal,
            response,  # type: ignore[arg-type]
            production=self.settings.production,
            lock=lock,
        )

    async def on_ws_connect(self, context: Context) -> dict[str, object]:  # type: ignore[override]
        """Admit a websocket whose `connection_init` carries a key (or a token made from one)
        of a reading role, and guard it against the key's revocation and the token's expiry."""
        assert isinstance(context, LiveContext)
        try:
            principal = await context.authenticate()
        except Unauthenticated as reason:
            raise ConnectionRejectionError(
                {"code": "UNAUTHENTICATED", "message": str(reason)}
            ) from reason
        if principal.role not in READERS:
            raise ConnectionRejectionError(
                {"code": "FORBIDDEN", "message": f"a {principal.role.value} key may not subscribe"}
            )
        start_guard(context)
        return {"role": principal.role.value}

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        """The request's operation, with a persisted query's document put in place."""
        data = await super().parse_http_body(request)
        if isinstance(data, list):
            return data
        scope: Scope = request.scope  # type: ignore[attr-defined]
        sha256 = persisted_hash(data.extensions)
        if sha256 is not None:
            data.query, is_new = await resolve(self.queries, data.query, sha256)
            if is_new:
                scope[PERSIST_KEY] = (sha256, data.query)
        record = request_record(scope)
        if record is not None:
            record.operation = operation_label(data.operation_name, data.query)
        return data

    async def process_result(  # type: ignore[override]
        self, request: Request, result: ExecutionResult
    ) -> GraphQLHTTPResponse:
        response = await super().process_result(request, result)
        codes = [_code(error) for error in result.errors or ()]
        record = request_record(request.scope)
        if record is not None:
            record.error_codes.extend(codes)
            record.cost = (result.extensions or {}).get("cost")
        pending = request.scope.get(PERSIST_KEY)
        if pending is not None and not UNRUNNABLE.intersection(codes):
            await self.queries.put(*pending)
        return response


def _code(error: Any) -> str:
    extensions = getattr(error, "extensions", None) or {}
    return str(extensions.get("code", "GRAPHQL_ERROR"))


def _refused(record: RequestRecord | None, code: str) -> None:
    if record is not None:
        record.error_codes.append(code)
        record.refused = True


def transport_refusal(request: Request) -> Response | None:
    """Production takes operations only as JSON POST: no GET (cacheable, logged URLs, CSRF-able
    by a plain link) and no form posts (which browsers send cross-site without a preflight)."""
    if request.method != "POST":
        return graphql_refusal(405, "Send GraphQL operations as a JSON POST.", {"Allow": "POST"})
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON:
        return graphql_refusal(415, "Send GraphQL operations with Content-Type: application/json.")
    return None


def graphql_refusal(
    status: int, message: str, headers: dict[str, str] | None = None, code: str = "BAD_REQUEST"
) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": code}}]}
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
    *,
    deliver_webhooks: bool | None = None,
    publish_every: float | None = None,
) -> Starlette:
    """The application over `database`, or over TOWNSQUARE_DATABASE_URL when none is given.

    Unless `deliver_webhooks` is False (or TOWNSQUARE_WEBHOOK_WORKER=0), the server runs the
    webhook dispatcher as a background task for as long as it serves; likewise the scheduler
    publishes due content every `publish_every` seconds (TOWNSQUARE_SCHEDULER_INTERVAL; 0 off).
    """
    db = database if database is not None else Database()
    trust = settings if settings is not None else TrustSettings.from_env()

    buckets = limiter or rate_limiter(trust)
    deliver = webhook_worker_enabled() if deliver_webhooks is None else deliver_webhooks
    publish_interval = scheduler_interval() if publish_every is None else publish_every
    queries = query_store(trust.redis_url, trust.persisted_query_cache_size)
    broadcaster = broadcaster_for(trust.redis_url)
    simulations = SimulationRunner(db, broadcaster)
    configure_access_log()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        loop = None
        if deliver:
            loop = DeliveryLoop(db, DeliverySettings(allow_private=not trust.production))
            loop.start()
        publisher = PublishLoop(db, publish_interval) if publish_interval > 0 else None
        if publisher is not None:
            publisher.start()
        purge = asyncio.create_task(purge_periodically(IdempotencyStore(db)))
        bridge = EventBridge(db, broadcaster)
        await simulations.start()
        settle_heap()
        yield
        # Back under the collector: what startup built may become garbage once this app
        # stops (a process serving several apps in turn, as the tests do).
        gc.unfreeze()
        await simulations.stop()
        await bridge.close()
        purge.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await purge
        if publisher is not None:
            await publisher.stop()
        if loop is not None:
            await loop.stop()
        await db.dispose()
        for pool in (buckets, queries):
            close = getattr(pool, "close", None)
            if close is not None:  # Redis connection pools; memory stores have nothing to close
                await close()
        worker_exited(os.getpid())

    graphql = TownsquareGraphQL(db, trust, buckets, queries, broadcaster)
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/metrics", metrics_endpoint, methods=["GET"]),
            Route("/export/{kind}.{format}", export_endpoint, methods=["GET"]),
            Route("/auth/token", token_endpoint(db, trust.tokens), methods=["POST"]),
            Route(
                "/graphql",
                Idempotent(graphql, db, graphql_mutation, trust.tokens),
                methods=["GET", "POST"],
            ),
            WebSocketRoute("/graphql", graphql),
            Route(
                "/ingest/conversions",
                Idempotent(request_response(ingest_conversions), db),
                methods=["POST"],
            ),
        ],
        middleware=[Middleware(AccessMiddleware, database=db), cors(trust)],
        lifespan=lifespan,
    )
    app.state.database = db
    app.state.tokens = trust.tokens
    app.state.simulations = simulations
    return app


def settle_heap() -> None:
    """Take what startup built (schema, ORM mappers, modules: ~225,000 objects) out of the
    cyclic garbage collector's sight.

    Those objects live as long as the process, yet every full collection walked them all:
    ~120 ms each on the project's box, about once every ten requests, which was 20 of the
    dashboard's 48 CPU ms per request. Frozen objects are never collected (they are not
    garbage), and full collections walk only what requests leave behind.
    """
    gc.collect()
    gc.freeze()


def cors(settings: TrustSettings) -> Middleware:
    # Only listed origins may call from a browser; with none listed, no cross-origin call works.
    return Middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_methods=["POST"] if settings.production else ["GET", "POST"],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "X-Request-Id"],
        expose_headers=[
            "X-RateLimit-Limit",
            "X-RateLimit-Remaining",
            "Retry-After",
            "Idempotent-Replayed",
            "X-Request-Id",
        ],
        max_age=600,
    )
