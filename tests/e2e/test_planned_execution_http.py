"""The planned executor answers every document over HTTP exactly as graphql-core's own does.

One app over a world holding a row of every Node type (two organizations', so foreign ids are
drawn too) answers each document twice in a row: once with the executor `build_schema` gives
it, once with Strawberry's stock execution context swapped in, and the two bodies (data,
errors with their messages, paths and locations, extensions) must be equal. The documents are
hypothesis-graphql's valid queries (as in test_fuzz_graphql.py), the load test's and the
benchmark's operations, and hand-written ones with aliases, fragments, @skip/@include on
variables and a failing non-null field.
"""

from __future__ import annotations

import ast
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import api_db
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from test_fuzz_graphql import FUZZ, SCHEMA, days, id_values, instants
from trust_catalog import World, build_world

from api.app import create_app
from api.execution import PlannedExecutor
from api.settings import TrustSettings
from domain.db import Database
from domain.enums import ApiKeyRole

__all__ = ["api_db"]

ROOT = Path(__file__).resolve().parents[2]
QUERY_FIELDS = sorted(SCHEMA.query_type.fields) if SCHEMA.query_type else []
WINDOW = {"from": "2026-01-01T00:00:00+00:00", "to": "2026-01-31T00:00:00+00:00"}


def string_constants(path: Path) -> dict[str, str]:
    """The module-level string constants of `path`, read without running the module."""
    found = {}
    for statement in ast.parse(path.read_text()).body:
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant):
            for target in statement.targets:
                if isinstance(target, ast.Name) and isinstance(statement.value.value, str):
                    found[target.id] = statement.value.value
    return found


def operations() -> dict[str, str]:
    """The load test's and the API benchmark's read documents, by name."""
    loadtest = string_constants(ROOT / "loadtests" / "operations.py")
    bench = string_constants(ROOT / "benchmarks" / "api.py")
    found = {f"loadtest {name}": text for name, text in loadtest.items() if name.isupper()}
    found |= {f"bench {name}": bench[name] for name in ("THREAD", "DASHBOARD", "INBOX")}
    return {name: text for name, text in found.items() if text.lstrip().startswith("query")}


HAND_WRITTEN = {
    "aliases and fragments": """query($id: ID!) { a: node(id: $id) { ...C } b: node(id: $id) {
        ... on Content { t: title title kind x: id } } }
        fragment C on Content { id title author { id h: handle ...M } }
        fragment M on Member { handle id }""",
    "skip and include on variables": """query($id: ID!, $yes: Boolean!, $no: Boolean!) {
        node(id: $id) { ... on Content { id @skip(if: $yes) title @include(if: $yes)
        body @include(if: $no) kind @skip(if: $no)
        ... on Content @include(if: $no) { status } } } }""",
    "a failing non-null field nulls its parent": """query($id: ID!) {
        communities(first: 1000) { nodes { id name } } node(id: $id) { id ... on Content {
        title } } }""",
    "a failing field beside planned ones": """query($id: ID!) { node(id: $id) { id
        ... on Content { title replies(first: 1000) { nodes { id } } body } } }""",
    "typenames and interfaces": """query($id: ID!) { node(id: $id) { __typename id
        ... on Content { __typename title } } nodes(ids: [$id, $id]) { id __typename } }""",
}


@dataclass
class Twin:
    """One app, sending each document once per executor."""

    client: httpx.AsyncClient
    schema: Any
    key: str
    world: World

    async def send(self, document: str, variables: dict[str, Any]) -> Any:
        body = {"query": document, "variables": variables}
        headers = {"Authorization": f"Bearer {self.key}"}
        response = await self.client.post("/graphql", json=body, headers=headers)
        return response.status_code, response.json()

    async def both(self, document: str, variables: dict[str, Any]) -> tuple[Any, Any]:
        planned = self.schema.execution_context_class
        assert issubclass(planned, PlannedExecutor)
        fast = await self.send(document, variables)
        self.schema.execution_context_class = StrawberryGraphQLCoreExecutionContext
        try:
            stock = await self.send(document, variables)
        finally:
            self.schema.execution_context_class = planned
        return fast, stock

    def variables(self) -> dict[str, Any]:
        ids = self.world.ids
        return {
            "id": ids["Content"],
            "first": 50,
            "top": 5,
            "window": WINDOW,
            "after": None,
            "yes": True,
            "no": False,
        }


def graphql_view(app: Starlette) -> Any:
    return next(route.endpoint for route in app.routes if isinstance(route, WebSocketRoute))


async def twin(database: Database, production: bool) -> AsyncIterator[Twin]:
    own = await build_world(database)
    foreign = await build_world(database)
    trust = TrustSettings(production=production, bucket_size=10**12, restore_rate=10**9)
    app = create_app(database, trust, deliver_webhooks=False, publish_every=0)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield Twin(client, graphql_view(app).schema, own.keys[ApiKeyRole.OWNER], own)
    assert foreign.ids


@pytest.fixture(params=["development", "production"])
async def app_twin(api_db: Database, request: pytest.FixtureRequest) -> AsyncIterator[Twin]:
    async for found in twin(api_db, production=request.param == "production"):
        yield found


def used(document: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in variables.items() if f"${name}" in document}


DOCUMENTS = {**operations(), **HAND_WRITTEN}
FAILING = {"a failing non-null field nulls its parent", "a failing field beside planned ones"}


@pytest.mark.parametrize("name", DOCUMENTS)
async def test_operations_answer_the_same_by_either_executor(app_twin: Twin, name: str) -> None:
    document = DOCUMENTS[name]
    fast, stock = await app_twin.both(document, used(document, app_twin.variables()))
    assert fast == stock
    status, body = fast
    assert status == 200
    # Each document reaches what it is about: the reads answer, the failing ones fail.
    assert ("errors" in body) == (name in FAILING), body
    assert body["data"] is None if name == "a failing non-null field nulls its parent" else body


@FUZZ
@given(data=st.data())
async def test_generated_queries_answer_the_same_by_either_executor(
    app_twin: Twin, data: st.DataObject
) -> None:
    ids = list(app_twin.world.ids.values())
    scalars = {"ID": id_values(ids), "DateTime": instants(), "Date": days()}
    strategy = from_schema(SCHEMA, fields=QUERY_FIELDS, custom_scalars=scalars, mode=Mode.POSITIVE)
    document = data.draw(strategy, label="document")
    fast, stock = await app_twin.both(document, {})
    assert fast == stock
