"""The context of one websocket connection: its caller, known from `connection_init`, and a
fresh database session for each event it is sent.

A connection can stay open for hours; holding one session (and, inside a transaction, one
pooled connection) for all that time would starve the pool. So nothing is held between
events: each event opens a session, rebuilds the scoped services and DataLoaders on it (no
cache outlives the event that filled it) and closes it once the event's result has been sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.websockets import WebSocket

from api.context import Context, Loaders, Services
from api.subscriptions.broadcast import Broadcaster
from domain.db import Database
from domain.errors import Unauthenticated
from domain.services.organizations import OrganizationService, Principal

SCHEME = "bearer"


class LiveContext(Context):
    """`info.context` of every operation on one graphql-transport-ws connection."""

    # What the trust checks look at to keep queries and mutations off the websocket.
    live = True

    def __init__(
        self,
        request: WebSocket,
        database: Database,
        broadcaster: Broadcaster,
        *,
        production: bool = False,
    ) -> None:
        # Context's own __init__ needs a session and a principal; a connection has neither yet.
        self.request = request  # type: ignore[assignment]
        self.response = None
        self.database = database
        self.broadcaster = broadcaster
        self.production = production
        # Strawberry puts the `connection_init` payload here before `on_ws_connect` runs.
        self.connection_params: dict[str, Any] = {}
        self.lock = asyncio.Lock()
        # One event is resolved at a time per connection: they share `session`.
        self._event_lock = asyncio.Lock()

    async def authenticate(self) -> Principal:
        """The caller of the key in the `connection_init` payload's `authorization`."""
        key = bearer_from(self.connection_params)
        # The key lookup crosses tenants (row-level security); every event is scoped below.
        async with self.database.session(cross_tenant=True) as session:
            self.principal = await OrganizationService(session).authenticate(key)
        return self.principal

    @asynccontextmanager
    async def event_scope(self) -> AsyncIterator[None]:
        """A session, services and loaders for resolving one event, closed afterwards."""
        scoped = self.database.session(organization_id=self.principal.organization_id)
        async with self._event_lock, scoped as session:
            self.session = session
            self.services = Services.scoped(
                session,
                self.principal.organization_id,
                key_id=self.principal.key_id,
                production=self.production,
            )
            self.loaders = Loaders.build(self.services, self.lock)
            yield


def bearer_from(params: dict[str, Any]) -> str:
    """The key of `{"authorization": "Bearer <key>"}`; refuses any other shape."""
    header = next((v for k, v in params.items() if k.lower() == "authorization"), None)
    if not isinstance(header, str) or not header.strip():
        raise Unauthenticated(
            'send the API key in connection_init: {"authorization": "Bearer <key>"}'
        )
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != SCHEME or not key.strip():
        raise Unauthenticated("the authorization must read `Bearer <key>`")
    return key.strip()
