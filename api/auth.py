"""Who calls: the API key in `Authorization: Bearer <key>`, checked before any GraphQL runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response

from api.responses import OrjsonResponse
from api.tokens import TokenIssuer, is_token
from domain.db import Database
from domain.errors import Unauthenticated
from domain.services.organizations import OrganizationService, Principal

SCHEME = "bearer"


def bearer_key(request: Request) -> str:
    """The key of a `Bearer` Authorization header; refuses any other shape."""
    header = request.headers.get("authorization")
    if not header:
        raise Unauthenticated("send an API key as `Authorization: Bearer <key>`")
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != SCHEME or not key.strip():
        raise Unauthenticated("the Authorization header must read `Bearer <key>`")
    return key.strip()


def unauthenticated(reason: Unauthenticated) -> Response:
    """401 with a GraphQL-shaped body, so GraphQL clients show the message as they would any."""
    body = {
        "errors": [
            {
                "message": f"Unauthenticated: {reason}",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ]
    }
    return OrjsonResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})


async def authenticate(
    session: AsyncSession, request: Request, tokens: TokenIssuer | None
) -> Principal:
    """Who calls: an API key, or (when tokens are on) a short-lived token made from one."""
    principal, _ = await authenticate_credential(session, bearer_key(request), tokens)
    return principal


async def authenticate_credential(
    session: AsyncSession, credential: str, tokens: TokenIssuer | None
) -> tuple[Principal, datetime | None]:
    """The principal of an API key or token, and when the token expires (None for a key).

    The one check behind every door (HTTP GraphQL, exports, websockets): a token names its
    key, and the key is looked up each time, so revoking the key ends its tokens too."""
    service = OrganizationService(session)
    if tokens is not None and is_token(credential):
        verified = tokens.verify(credential)
        return await service.principal_of_key(verified.key_id), verified.expires_at
    return await service.authenticate(credential), None


def token_endpoint(
    database: Database, tokens: TokenIssuer | None
) -> Callable[[Request], Awaitable[Response]]:
    """`POST /auth/token`: an API key (never a token) exchanged for a short-lived token."""

    async def exchange(request: Request) -> Response:
        if tokens is None:
            off = {"error": "token exchange is off: the server has no TOWNSQUARE_JWT_SECRET"}
            return OrjsonResponse(off, status_code=404)
        try:
            key = bearer_key(request)
            if is_token(key):
                raise Unauthenticated("exchange an API key, not a token")
            async with database.session(cross_tenant=True) as session:
                principal = await OrganizationService(session).authenticate(key)
        except Unauthenticated as reason:
            return unauthenticated(reason)
        body: dict[str, str | int] = {
            "access_token": tokens.issue(principal),
            "token_type": "Bearer",
            "expires_in": int(tokens.ttl.total_seconds()),
        }
        # A credential: no cache may keep it.
        return OrjsonResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    return exchange
