"""The ASGI application: GraphQL at /graphql behind API keys, and the health endpoints.

Run with `uvicorn --factory api.app:create_app` (or `townsquare serve`).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from api.auth import bearer_key, unauthenticated
from api.context import Context
from api.health import healthz, readyz
from api.schema import schema
from domain.db import Database
from domain.errors import Unauthenticated
from domain.services.organizations import OrganizationService

ENVIRONMENT_VARIABLE = "TOWNSQUARE_ENV"
# Where the authenticated request's session and principal wait for `get_context`.
STATE_KEY = "townsquare.request"


def is_production() -> bool:
    return os.environ.get(ENVIRONMENT_VARIABLE, "development").lower() == "production"


class TownsquareGraphQL(GraphQL):
    """Strawberry's ASGI view, with a key check and one database session per request."""

    def __init__(self, database: Database, *, production: bool) -> None:
        # Strawberry refuses mutations over GET by itself; queries over GET stay allowed.
        super().__init__(schema, graphql_ide=None if production else "graphiql")
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        adapter = self.request_adapter_class(request)
        if self.should_render_graphql_ide(adapter):
            # The IDE page itself needs no key; every operation it sends does.
            await super().__call__(scope, receive, send)
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
        return Context(request, session, principal)  # type: ignore[arg-type]

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)


def create_app(database: Database | None = None) -> Starlette:
    """The application over `database`, or over TOWNSQUARE_DATABASE_URL when none is given."""
    db = database if database is not None else Database()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await db.dispose()

    graphql = TownsquareGraphQL(db, production=is_production())
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
        ],
        lifespan=lifespan,
    )
    app.state.database = db
    return app
