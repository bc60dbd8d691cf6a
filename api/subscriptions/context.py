"""The context of one websocket connection: its caller, known from `connection_init` (an API
key or a short-lived token), and a fresh database session for each event it is sent.

The caller is checked again while the connection lives: before each event it is sent, and by
the connection's guard (`guard.py`) when its key is revoked or its token expires.

A connection can stay open for hours; holding one session (and, inside a transaction, one
pooled connection) for all that time would starve the pool. So nothing is held between
events: each event opens a session, rebuilds the scoped services and DataLoaders on it (no
cache outlives the event that filled it) and closes it once the event's result has been sent.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.websockets import WebSocket

from api.auth import authenticate_credential
from api.context import Context, Loaders, Services
from api.subscriptions.broadcast import Broadcaster
from api.tokens import TokenIssuer
from domain.db import Database
from domain.entities import ApiKey
from domain.errors import Unauthenticated
from domain.services.organizations import Principal
from domain.timeutil import utcnow

SCHEME = "bearer"
# How often an open connection looks its key up again, for revocations no event announced
# (another server without a shared Redis, `townsquare apikey revoke` from a shell).
RECHECK_SECONDS = 30.0


@dataclass(frozen=True)
class Ending:
    """Why a live connection is closed: a close code and a reason the client can show."""

    code: int
    reason: str


# 4401: authenticate again (exchange the key for a new token); 4403: this credential is done.
EXPIRED = Ending(4401, "Unauthorized: the token has expired")
REVOKED = Ending(4403, "Forbidden: the API key was revoked")


async def _key_alive(session: AsyncSession, key_id: int) -> bool:
    key = await session.get(ApiKey, key_id, populate_existing=True)
    return key is not None and key.revoked_at is None


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
        tokens: TokenIssuer | None = None,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> None:
        # Context's own __init__ needs a session and a principal; a connection has neither yet.
        self.request = request  # type: ignore[assignment]
        self.socket = request
        self.response = None
        self.database = database
        self.broadcaster = broadcaster
        self.production = production
        self.tokens = tokens
        self.recheck_seconds = recheck_seconds
        # When the token the connection was opened with expires; None for an API key.
        self.expires_at: datetime | None = None
        self.guard: asyncio.Task[None] | None = None
        # Strawberry puts the `connection_init` payload here before `on_ws_connect` runs.
        self.connection_params: dict[str, Any] = {}
        self.lock = asyncio.Lock()
        # One event is resolved at a time per connection: they share `session`.
        self._event_lock = asyncio.Lock()

    async def authenticate(self) -> Principal:
        """The caller of the key or token in the `connection_init` payload's `authorization`."""
        credential = bearer_from(self.connection_params)
        # The key lookup crosses tenants (row-level security); every event is scoped below.
        async with self.database.session(cross_tenant=True) as session:
            self.principal, self.expires_at = await authenticate_credential(
                session, credential, self.tokens
            )
        return self.principal

    def expired(self) -> bool:
        return self.expires_at is not None and utcnow() >= self.expires_at

    async def ended(self, session: AsyncSession | None = None) -> Ending | None:
        """Why the connection may not go on (its token expired, its key was revoked), or None.

        Looks the key up in `session` (an event's, scoped to the organization) or in a short
        session of its own."""
        if self.expired():
            return EXPIRED
        if session is not None:
            return None if await _key_alive(session, self.principal.key_id) else REVOKED
        scoped = self.database.session(organization_id=self.principal.organization_id)
        async with scoped as own:
            return None if await _key_alive(own, self.principal.key_id) else REVOKED

    async def close(self, ending: Ending) -> None:
        """Close the websocket; Strawberry's handler then ends every operation on it."""
        with contextlib.suppress(RuntimeError):  # closed already (the client left first)
            await self.socket.close(code=ending.code, reason=ending.reason)

    def stop_guard(self) -> None:
        if self.guard is not None:
            self.guard.cancel()

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
