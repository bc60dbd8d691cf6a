"""`Idempotency-Key` for POST endpoints: the first response to a key is replayed for repeats.

Wrap any ASGI endpoint that writes:

    Route("/ingest/conversions", Idempotent(endpoint, database), methods=["POST"])

`/graphql` is wrapped with `applies=graphql_mutation`, so only mutations are keyed (a query is
safe to repeat and is never stored). Keys belong to the caller's organization (from the API
key) and live 24 hours. For a request carrying a key:

- a first request runs, and its response (any status but 429 and 5xx, which wrote nothing and
  may be retried) is stored;
- a repeat with the same body gets the stored response again, with `Idempotent-Replayed: true`;
- a repeat with a different body is refused: 422 `IDEMPOTENCY_KEY_REUSED`;
- a repeat while the first is still running is refused at once: 409
  `IDEMPOTENCY_KEY_IN_PROGRESS` with `Retry-After: 1` (it does not wait: a held connection
  per retry would be an easy way to exhaust workers). Retrying later replays the result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from graphql import GraphQLError, OperationType, parse
from graphql.utilities import get_operation_ast
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import authenticate
from api.responses import OrjsonResponse
from api.tokens import TokenIssuer
from domain.db import Database
from domain.errors import Unauthenticated
from domain.idempotency.store import IdempotencyStore, StoredResponse, Verdict, well_formed

HEADER = "idempotency-key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
IN_PROGRESS = "IDEMPOTENCY_KEY_IN_PROGRESS"
KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"

Applies = Callable[[Scope, bytes], bool]


def always(_scope: Scope, _body: bytes) -> bool:
    return True


def graphql_mutation(_scope: Scope, body: bytes) -> bool:
    """Whether a GraphQL POST body asks for a mutation (what a key protects)."""
    try:
        document = orjson.loads(body)
        operation = get_operation_ast(parse(document["query"]), document.get("operationName"))
    except (orjson.JSONDecodeError, GraphQLError, KeyError, TypeError, AttributeError):
        return False  # the endpoint answers malformed requests itself
    return operation is not None and operation.operation == OperationType.MUTATION


def request_hash(scope: Scope, body: bytes) -> str:
    """The same request hashes the same even if a client re-serialises its JSON."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256(f"{scope['method']} {scope['path']}\n".encode())
    digest.update(canonical)
    return digest.hexdigest()


class Idempotent:
    """ASGI wrapper giving an endpoint `Idempotency-Key` semantics (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        database: Database,
        applies: Applies = always,
        tokens: TokenIssuer | None = None,
    ) -> None:
        self.app = app
        self.database = database
        self.applies = applies
        self.tokens = tokens
        self.store = IdempotencyStore(database)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope)
        key = request.headers.get(HEADER)
        if scope["type"] != "http" or scope["method"] != "POST" or key is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        replay_body = _replaying(body, receive)
        if not self.applies(scope, body):
            await self.app(scope, replay_body, send)
            return
        if not well_formed(key):
            refusal = _refusal(400, "Idempotency-Key must be 1-255 printable ASCII", KEY_INVALID)
            await refusal(scope, replay_body, send)
            return
        organization_id = await self._organization(request)
        if organization_id is None:
            await self.app(scope, replay_body, send)  # the endpoint answers 401 itself
            return
        await self._keyed(scope, replay_body, send, organization_id, key, body)

    async def _keyed(
        self, scope: Scope, receive: Receive, send: Send, org: int, key: str, body: bytes
    ) -> None:
        claim = await self.store.begin(org, key, request_hash(scope, body))
        if claim.verdict is Verdict.REPLAY:
            assert claim.response is not None
            await _replay(claim.response)(scope, receive, send)
            return
        if claim.verdict is Verdict.MISMATCH:
            message = "this Idempotency-Key was used for a different request"
            await _refusal(422, message, KEY_REUSED)(scope, receive, send)
            return
        if claim.verdict is Verdict.IN_PROGRESS:
            message = "a request with this Idempotency-Key is still running; retry shortly"
            refusal = _refusal(409, message, IN_PROGRESS, {"Retry-After": "1"})
            await refusal(scope, receive, send)
            return
        assert claim.record_id is not None
        await self._run(scope, receive, send, org, claim.record_id)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, org: int, record_id: int
    ) -> None:
        # The response is held until the key records it: a client that repeats the request as
        # soon as it has the answer must get the replay, not "still running".
        captured = _Capture()
        try:
            await self.app(scope, receive, captured)
        except BaseException:
            await self.store.abandon(org, record_id)
            raise
        status = captured.status or 500
        if status >= 500 or status == 429:
            await self.store.abandon(org, record_id)
        else:
            stored = StoredResponse(status, captured.content_type, bytes(captured.body))
            await self.store.complete(org, record_id, stored)
        await captured.deliver(send)

    async def _organization(self, request: Request) -> int | None:
        try:
            async with self.database.session(cross_tenant=True) as session:
                principal = await authenticate(session, request, self.tokens)
        except Unauthenticated:
            return None
        return principal.organization_id


class _Capture:
    """Keeps a whole response (idempotent answers are small) to send once it is recorded."""

    def __init__(self) -> None:
        self.start: Message | None = None
        self.status: int | None = None
        self.content_type: str | None = None
        self.body = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
            self.status = int(message["status"])
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))

    async def deliver(self, send: Send) -> None:
        if self.start is None:
            return
        await send(self.start)
        await send({"type": "http.response.body", "body": bytes(self.body), "more_body": False})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    """A `receive` that hands the already-read body to the endpoint, then the client's own
    messages (a disconnect) as they come."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _replay(stored: StoredResponse) -> Response:
    headers = {REPLAYED_HEADER: "true"}
    return Response(
        stored.body, status_code=stored.status, headers=headers, media_type=stored.content_type
    )


def _refusal(
    status: int, message: str, code: str, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"errors": [{"message": message, "extensions": {"code": code}}]}
    return OrjsonResponse(body, status_code=status, headers=headers)
