"""Who calls: the API key in `Authorization: Bearer <key>`, checked before any GraphQL runs."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from api.responses import OrjsonResponse
from domain.errors import Unauthenticated

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
