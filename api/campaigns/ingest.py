"""POST /ingest/conversions: NDJSON from a CRM or a shop, all lines written or none.

One JSON object per line:
`{"externalId": "order-1", "memberHandle": "alice", "value": 49.5, "occurredAt": "...Z"}`
(`memberId`, a global id, instead of `memberHandle`; `occurredAt` optional). Blank lines are
skipped; line numbers count every line from 1. A bad line answers 422 with its number and writes
nothing; an external id already recorded is skipped and listed under `duplicates`, so a batch can
be re-sent safely (and with `Idempotency-Key`, its first response is replayed). `?lookbackDays=`
sets the attribution window (default 30). Owner, manager and ingestion keys may call it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from api.auth import bearer_key, unauthenticated
from api.ids import decode_id_of
from api.permissions import INGESTERS
from api.responses import OrjsonResponse
from api.scalars import parse_datetime
from domain import row_security
from domain.campaigns.conversions import (
    DEFAULT_LOOKBACK_DAYS,
    MAX_BATCH,
    ConversionDraft,
    ConversionService,
)
from domain.db import Database
from domain.errors import Conflict, DomainError, FieldProblem, Unauthenticated
from domain.services.organizations import OrganizationService

MAX_BODY_BYTES = 5 * 1024 * 1024
NOT_A_MEMBER = -1  # no row has it: an unreadable memberId is reported as not found


class LineError(Exception):
    def __init__(self, field: str, message: str, code: str = "INVALID") -> None:
        super().__init__(message)
        self.field, self.message, self.code = field, message, code


def _error(line: int | None, field: str | None, message: str, code: str) -> dict[str, Any]:
    return {"line": line, "field": field, "message": message, "code": code}


def _refusal(status: int, errors: list[dict[str, Any]]) -> Response:
    return OrjsonResponse({"ingested": 0, "errors": errors}, status_code=status)


def _missing_or_invalid(item: dict[str, object], field: str) -> str:
    # A field left out is REQUIRED; one sent with the wrong type is INVALID.
    return "REQUIRED" if item.get(field) is None else "INVALID"


def parse_line(text: bytes) -> ConversionDraft:
    """One NDJSON line as a draft; a shape problem raises LineError (rules are the domain's)."""
    try:
        item = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise LineError("", f"not JSON: {error}", "INVALID_JSON") from error
    if not isinstance(item, dict):
        raise LineError("", "each line must be a JSON object", "INVALID_JSON")
    external_id = item.get("externalId")
    if not isinstance(external_id, str):
        raise LineError(
            "externalId", "`externalId` must be a string", _missing_or_invalid(item, "externalId")
        )
    value = item.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isinf(value):
        raise LineError("value", "`value` must be a number", _missing_or_invalid(item, "value"))
    member_id, handle = item.get("memberId"), item.get("memberHandle")
    if handle is not None and not isinstance(handle, str):
        raise LineError("memberHandle", "`memberHandle` must be a string", "INVALID")
    occurred = item.get("occurredAt")
    try:
        occurred_at = None if occurred is None else parse_datetime(occurred)
    except ValueError as error:
        raise LineError("occurredAt", str(error), "INVALID_FORMAT") from error
    return ConversionDraft(
        external_id=external_id,
        value=float(value),
        member_id=None
        if member_id is None
        else (decode_id_of(member_id, {"Member"}) or NOT_A_MEMBER),
        member_handle=handle,
        occurred_at=occurred_at,
    )


def parse_body(body: bytes) -> tuple[list[ConversionDraft], list[int], list[dict[str, Any]]]:
    """Drafts, the line number of each, and every shape error with its line number."""
    drafts, numbers, errors = [], [], []
    for number, text in enumerate(body.split(b"\n"), start=1):
        if not text.strip():
            continue
        try:
            drafts.append(parse_line(text))
            numbers.append(number)
        except LineError as error:
            errors.append(_error(number, error.field or None, error.message, error.code))
    return drafts, numbers, errors


def _by_line(problems: Sequence[FieldProblem], numbers: Sequence[int]) -> list[dict[str, Any]]:
    """Domain problems under `items.<index>.<field>` as errors naming the NDJSON line."""
    found = []
    for problem in problems:
        head, _, rest = problem.field[0].partition(".") if problem.field else ("", "", "")
        if head == "items" and rest.isdigit() and len(problem.field) > 1:
            line = numbers[int(rest)]
            found.append(_error(line, ".".join(problem.field[1:]), problem.message, problem.code))
        else:
            found.append(
                _error(None, ".".join(problem.field) or None, problem.message, problem.code)
            )
    return found


def _lookback(request: Request) -> int:
    text = request.query_params.get("lookbackDays")
    if text is None:
        return DEFAULT_LOOKBACK_DAYS
    if not text.isdigit():
        raise LineError("lookbackDays", "`lookbackDays` must be a whole number of days")
    return int(text)


async def ingest_conversions(request: Request) -> Response:
    database: Database = request.app.state.database
    # The key lookup crosses tenants (row-level security); the writes are the caller's only.
    async with database.session(cross_tenant=True) as session:
        try:
            principal = await OrganizationService(session).authenticate(bearer_key(request))
        except Unauthenticated as reason:
            return unauthenticated(reason)
        await row_security.enter(session, principal.organization_id)
        if principal.role not in INGESTERS:
            return _refusal(403, [_error(None, None, "this key may not ingest", "FORBIDDEN")])
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            message = f"at most {MAX_BODY_BYTES} bytes per request"
            return _refusal(413, [_error(None, None, message, "TOO_LARGE")])
        try:
            lookback = _lookback(request)
        except LineError as error:
            return _refusal(400, [_error(None, error.field, error.message, error.code)])
        drafts, numbers, errors = parse_body(body)
        if len(drafts) + len(errors) > MAX_BATCH:
            message = f"at most {MAX_BATCH} lines per request"
            return _refusal(413, [_error(None, None, message, "TOO_MANY")])
        if errors:
            return _refusal(422, errors)
        service = ConversionService(session, principal.organization_id)
        try:
            result = await service.record(drafts, lookback)
        except DomainError as error:
            status = 409 if isinstance(error, Conflict) else 422
            return _refusal(status, _by_line(error.problems, numbers))
    return OrjsonResponse(
        {"ingested": len(result.conversions), "duplicates": result.duplicates, "errors": []}
    )
