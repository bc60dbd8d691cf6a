"""Request ids and the access log: one JSON line per request, and its figures for Prometheus.

An ASGI middleware gives every request an id (the caller's `X-Request-Id` when it is a sane
token, else a fresh one), returns it in the `X-Request-Id` response header, and after the
response writes one JSON line: id, operation name, duration, status, outcome, error codes,
query cost and the API key's id (never the key). The GraphQL view fills in what only it knows
through the `RequestRecord` it finds in the ASGI scope, so nothing runs per resolved field.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.observability import observe_pool, observe_request

RECORD_KEY = "townsquare.record"
REQUEST_ID_HEADER = "X-Request-Id"
# A caller's id is kept only when it cannot smuggle anything into a log line or a header.
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_HEADER_KEY = b"x-request-id"

log = logging.getLogger("townsquare.access")


@dataclass
class RequestRecord:
    """What one request did; the GraphQL view fills the GraphQL part."""

    request_id: str
    graphql: bool = False
    operation: str | None = None
    key_id: int | None = None
    error_codes: list[str] = field(default_factory=list)
    cost: dict[str, Any] | None = None
    refused: bool = False

    @property
    def outcome(self) -> str:
        if self.refused:
            return "refused"
        return "error" if self.error_codes else "ok"


def request_record(scope: Scope) -> RequestRecord | None:
    record: RequestRecord | None = scope.get(RECORD_KEY)
    return record


def request_id_from(scope: Scope) -> str:
    """The caller's request id when it is sane, else a new one."""
    for name, value in scope.get("headers", ()):
        if name == _HEADER_KEY:
            text = value.decode("latin-1")
            if _SANE_ID.fullmatch(text):
                return text
            break
    return uuid.uuid4().hex


class AccessMiddleware:
    """Ids every HTTP request, logs it as one JSON line, and counts GraphQL operations."""

    def __init__(self, app: ASGIApp, database: Any) -> None:
        self.app = app
        self.database = database

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        record = RequestRecord(request_id_from(scope))
        scope[RECORD_KEY] = record
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = record.request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, record, status, time.perf_counter() - started)

    def _finish(self, scope: Scope, record: RequestRecord, status: int, seconds: float) -> None:
        if record.graphql:
            if status >= 500 and not record.error_codes:
                record.error_codes.append("INTERNAL_SERVER_ERROR")
            operation = record.operation or "anonymous"
            observe_request(operation, seconds, record.outcome, record.error_codes)
            observe_pool(self.database.engine)
        if log.isEnabledFor(logging.INFO):
            log.info(access_line(scope, record, status, seconds))


def access_line(scope: Scope, record: RequestRecord, status: int, seconds: float) -> str:
    line: dict[str, Any] = {
        "ts": time.time(),
        "event": "request",
        "request_id": record.request_id,
        "method": scope.get("method"),
        "path": scope.get("path"),
        "status": status,
        "duration_ms": round(seconds * 1000, 3),
    }
    if record.graphql:
        line.update(
            operation=record.operation,
            outcome=record.outcome,
            error_codes=record.error_codes,
            cost=record.cost,
            key_id=record.key_id,
        )
    return orjson.dumps(line).decode()


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_access_log(level: int = logging.INFO) -> None:
    """Write the access log to stderr as bare JSON lines, once per process."""
    if any(getattr(h, "townsquare_access", False) for h in log.handlers):
        return
    handler = StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.townsquare_access = True  # type: ignore[attr-defined]
    log.addHandler(handler)
    log.setLevel(level)
    # The lines are complete on their own; a root handler would print them a second time.
    log.propagate = False
