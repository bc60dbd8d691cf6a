"""Fuzzing the GraphQL endpoint: generated documents never make a server error or leak one.

hypothesis-graphql writes queries and mutations from `schema.graphql` (valid ones, and in
negative mode ones with exactly one schema violation); they go through the real ASGI app as an
owner key, in development and in production settings, on SQLite and on PostgreSQL, into a
throwaway database holding one row of every Node type (`trust_catalog.build_world`), so ids
drawn from it reach real rows, another organization's rows and junk alike. schemathesis runs
its own GraphQL generation and its `not_a_server_error` check against the same app.

Every response must be below 500; no error may carry a Python exception name, a traceback or a
file path; every error must carry a code from docs/SECURITY.md's "Error codes"; and no error
may be INTERNAL_SERVER_ERROR (production's mask for an exception nobody meant): refusals by the
limits, the role matrix and the domain are answers, a crash is a bug. Each test records how
many cases it sent (`pytest -rA` or the summary line "fuzz cases run" shows them).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from api_harness import api_db
from graphql import GraphQLSchema, ValueNode, build_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.graphql.checks import GraphQLServerError
from trust_catalog import World, build_world

from api.app import create_app
from api.ids import encode_id
from api.settings import TrustSettings
from domain.db import Database
from domain.enums import ApiKeyRole

__all__ = ["api_db"]

ROOT = Path(__file__).resolve().parents[2]
SDL = (ROOT / "schema.graphql").read_text()
SCHEMA: GraphQLSchema = build_schema(SDL)
INTERNAL = "INTERNAL_SERVER_ERROR"

# Deterministic on purpose: CI must not turn red on a case no one can replay. Each run walks
# the same examples (derandomize), so a failure reproduces locally with the same command; new
# ground is covered by raising max_examples here, not by luck.
FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    # One world per test serves every example (building it per example would take minutes);
    # big generated documents are the point, not a slow-data smell.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
    ],
)

# What gives an internal error away: an exception class, a traceback, a source path, a driver.
LEAK = re.compile(
    r"Traceback|File \"|\.py\b|/site-packages/|\b[A-Z][A-Za-z]*(Error|Exception)\b"
    r"|sqlalchemy|asyncpg|aiosqlite|psycopg|sqlite3|\bSELECT\b|\bINSERT\b",
)


def documented_codes() -> frozenset[str]:
    """The codes docs/SECURITY.md's "Error codes" section names: all an error may carry."""
    text = (ROOT / "docs" / "SECURITY.md").read_text()
    section = text.split("## Error codes", 1)[1].split("\n## ", 1)[0]
    return frozenset(re.findall(r"`([A-Z][A-Z_]+)`", section)) - {INTERNAL}


CODES = documented_codes()


@dataclass
class Target:
    """The app under fuzz, the caller's owner key and the ids worth drawing."""

    client: httpx.AsyncClient
    key: str
    ids: list[str]
    sent: int = 0

    async def send(self, document: str) -> httpx.Response:
        self.sent += 1
        return await self.client.post(
            "/graphql", json={"query": document}, headers={"Authorization": f"Bearer {self.key}"}
        )


async def target(database: Database, production: bool) -> AsyncIterator[Target]:
    own: World = await build_world(database)
    foreign: World = await build_world(database)
    # A bucket nobody drains: throttling every other case would fuzz the rate limiter only.
    trust = TrustSettings(production=production, bucket_size=10**12, restore_rate=10**9)
    app = create_app(database, trust, deliver_webhooks=False, publish_every=0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        ids = [*own.ids.values(), *foreign.ids.values()]
        yield Target(client, own.keys[ApiKeyRole.OWNER], ids)


@pytest.fixture(params=["development", "production"])
async def app_target(api_db: Database, request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    async for found in target(api_db, production=request.param == "production"):
        yield found
        request.node.user_properties.append(("fuzz_cases", found.sent))


def junk_ids() -> st.SearchStrategy[str]:
    """Ids a client might invent: unknown rows, unknown types, bad base64, huge numbers."""
    made_up = st.sampled_from(
        [
            encode_id("Community", 987654321),
            encode_id("Nope", 1),
            encode_id("Member", 2**63),
            encode_id("Community", 0),
            "Q29tbXVuaXR5Oi0x",  # Community:-1
            "not base64!",
            "",
            "=" * 8,
            "x" * 300,
        ]
    )
    return made_up | st.text(max_size=40)


def id_values(ids: list[str]) -> st.SearchStrategy[ValueNode]:
    return (st.sampled_from(ids) | junk_ids()).map(nodes.String)


def instants() -> st.SearchStrategy[ValueNode]:
    """DateTime literals: valid ones across the years, ones without an offset, and junk."""
    moments = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30))
    valid = moments.map(lambda m: m.isoformat() + "Z")
    offsets = st.sampled_from(["+14:00", "-12:00", "+05:30"])
    shifted = st.tuples(moments, offsets).map(lambda pair: pair[0].isoformat() + pair[1])
    naive = moments.map(datetime.isoformat)
    return (valid | shifted | naive | st.text(max_size=30)).map(nodes.String)


def days() -> st.SearchStrategy[ValueNode]:
    return (st.dates().map(date.isoformat) | st.text(max_size=12)).map(nodes.String)


def documents(ids: list[str], mode: Mode) -> st.SearchStrategy[str]:
    scalars = {"ID": id_values(ids), "DateTime": instants(), "Date": days()}
    return from_schema(SCHEMA, custom_scalars=scalars, mode=mode)


def user_errors(data: Any) -> Iterator[dict[str, Any]]:
    """Every `userErrors` entry anywhere in `data` (aliases included)."""
    if isinstance(data, list):
        for item in data:
            yield from user_errors(item)
    elif isinstance(data, dict):
        for value in data.values():
            if isinstance(value, list) and value and all(_is_user_error(v) for v in value):
                yield from value
            else:
                yield from user_errors(value)


def _is_user_error(value: Any) -> bool:
    return isinstance(value, dict) and "code" in value and ("field" in value or "message" in value)


def problems(response: httpx.Response) -> list[str]:
    """What is wrong with an answer: a server error, a leak, an uncoded or unknown code."""
    found: list[str] = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    try:
        body = response.json()
    except ValueError:
        return [*found, f"not JSON: {response.text[:200]!r}"]
    errors = body.get("errors") if isinstance(body, dict) else None
    for user_error in user_errors(body.get("data") if isinstance(body, dict) else None):
        if user_error.get("code") not in CODES:
            found.append(f"undocumented user error code: {user_error!r}")
    for error in errors or ():
        message = error.get("message", "")
        code = (error.get("extensions") or {}).get("code")
        if LEAK.search(message):
            found.append(f"leaks internals: {message!r}")
        if code is None:
            found.append(f"no code: {message!r}")
        elif code == INTERNAL:
            found.append(f"internal error: {message!r}")
        elif code not in CODES:
            found.append(f"undocumented code {code}: {message!r}")
    return found


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["positive", "negative"])
@FUZZ
@given(data=st.data())
async def test_generated_operations_get_answers_never_server_errors_or_leaks(
    app_target: Target, mode: Mode, data: st.DataObject
) -> None:
    document = data.draw(documents(app_target.ids, mode), label="document")
    response = await app_target.send(document)
    assert not problems(response), (document, response.text)
    if mode is Mode.NEGATIVE:
        # One schema violation: the document never runs, it is refused as a client error.
        codes = {e["extensions"]["code"] for e in response.json().get("errors", [])}
        assert codes, response.text


# ------------------------------------------------------------------------------------------
# schemathesis: its own GraphQL generation and its server-error check, against the same app
# ------------------------------------------------------------------------------------------

ST_SCHEMA = schemathesis.graphql.from_file(SDL)


def is_a_refusal(failure: GraphQLServerError) -> bool:
    """schemathesis reads an error with a `path` as a resolver crash; ours may be a refusal.

    A domain refusal of a query argument (an unknown cursor, a page out of range) is raised
    from its resolver with a documented code; only INTERNAL_SERVER_ERROR, an uncoded error or
    an undocumented code is a crash.
    """
    codes = [(e.get("extensions") or {}).get("code") for e in failure.errors]
    return all(code in CODES for code in codes)


@pytest.mark.parametrize(
    "mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["positive", "negative"]
)
@FUZZ
@given(data=st.data())
async def test_schemathesis_finds_no_server_error(
    app_target: Target, mode: GenerationMode, data: st.DataObject
) -> None:
    case = data.draw(ST_SCHEMA.as_strategy(generation_mode=mode), label="case")
    response = await app_target.send(case.body)
    assert not problems(response), (case.body, response.text)
    assert not server_errors(case, response), response.text


def server_errors(case: Any, response: httpx.Response) -> list[Exception]:
    """What schemathesis's `not_a_server_error` reports, less the refusals it misreads."""
    try:
        case.validate_response(response, checks=[not_a_server_error])
    except FailureGroup as group:
        return [
            f
            for f in group.exceptions
            if not (isinstance(f, GraphQLServerError) and is_a_refusal(f))
        ]
    return []


# ------------------------------------------------------------------------------------------
# What the fuzzer found, kept as plain regressions
# ------------------------------------------------------------------------------------------


@pytest.fixture
async def production(api_db: Database) -> AsyncIterator[Target]:
    async for found in target(api_db, production=True):
        yield found


async def test_production_answers_a_malformed_datetime_literal_as_a_validation_error(
    production: Target,
) -> None:
    # A scalar's refusal carries its ValueError; production used to mask it as an internal error.
    document = '{ calendar(from: "", to: "2024-01-01T00:00:00Z") { title } }'
    response = await production.send(document)
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes == {"GRAPHQL_VALIDATION_FAILED"}
    assert not problems(response)
