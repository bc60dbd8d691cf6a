"""Every mutation and every Node type of the schema, tried by every role and across tenants.

The operations come from the schema itself, so a mutation, a Node type or a query argument
that lands later is covered without anyone remembering to: a mutation without a minimal input
in `trust_catalog.MUTATIONS`, or a Node type `trust_catalog.build_world` cannot make, fails
here with a message naming what to add. Each test counts the combinations it tried and prints
the figure (`pytest -s` shows it; docs/SECURITY.md quotes it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
from api_harness import api_db, http, row_counts
from graphql import (
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_required_argument,
    is_required_input_field,
)
from sqlalchemy import select
from trust_catalog import MUTATIONS, QUERY_ARGUMENTS, Ids, World, build_world

from api.ids import encode_id
from api.permissions import NODE_RULES, allowed, may_see_node
from api.schema import schema_text
from domain.audit.tables import AuditEntry
from domain.db import Database
from domain.enums import ApiKeyRole

__all__ = ["api_db", "http"]

SCHEMA: GraphQLSchema = build_schema(schema_text())
UNKNOWN_ROW = 987654321
PAYLOAD = "{ __typename userErrors { field message code } }"


def node_types() -> list[str]:
    return sorted(t.name for t in SCHEMA.get_possible_types(SCHEMA.get_type("Node")))  # type: ignore[arg-type]


def mutation_names() -> list[str]:
    assert SCHEMA.mutation_type is not None
    return list(SCHEMA.mutation_type.fields)


async def post(http: httpx.AsyncClient, key: str, query: str, **variables: Any) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answer(body: dict[str, Any], *ids: str) -> str:
    """The response as text, without the caller's bucket figures and with the given ids
    blanked: what must be byte-identical for a foreign and an unknown id."""
    text = json.dumps({k: v for k, v in body.items() if k != "extensions"}, sort_keys=True)
    for value in ids:
        text = text.replace(value, "<id>")
    return text


def codes(body: dict[str, Any]) -> set[str]:
    return {e.get("extensions", {}).get("code") for e in body.get("errors", [])}


def mutation_document(name: str) -> str:
    entry = MUTATIONS[name]
    return f"mutation($input: {entry.input_type}!) {{ {name}(input: $input) {PAYLOAD} }}"


async def call(
    http: httpx.AsyncClient, world: World, role: ApiKeyRole, name: str
) -> dict[str, Any]:
    """Mutation `name` with the catalog's input over `world`'s rows, as `role`."""
    document = mutation_document(name)
    return await post(http, world.keys[role], document, input=MUTATIONS[name].make_input(world.ids))


def report(figure: str, count: int) -> None:
    print(f"\ntrust catalog: {figure}: {count}")


def test_every_mutation_and_node_type_of_the_schema_is_in_the_catalog() -> None:
    missing = [name for name in mutation_names() if name not in MUTATIONS]
    assert not missing, (
        f"mutations without a minimal valid input in tests/e2e/trust_catalog.py MUTATIONS: "
        f"{missing}; add one (input type and a function of the world's ids) so every role and "
        f"a foreign organization are tried on it"
    )
    stale = [name for name in MUTATIONS if name not in mutation_names()]
    assert not stale, f"MUTATIONS names mutations the schema no longer has: {stale}"
    unknown_rules = sorted(set(NODE_RULES) - set(node_types()))
    assert not unknown_rules, f"api/permissions.py NODE_RULES names no Node type: {unknown_rules}"


async def test_every_mutation_answers_each_role_as_the_matrix_says_and_denied_ones_write_nothing(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    shared = await build_world(api_db)
    tried = 0
    for name in mutation_names():
        assert name in MUTATIONS, f"{name} has no entry in tests/e2e/trust_catalog.py MUTATIONS"
        # Allowed calls write, so they get a world of their own; denied ones share one.
        world = await build_world(api_db)
        succeeded = False
        for role in ApiKeyRole:
            if not allowed("mutation", name, role):
                before = await row_counts(api_db)
                body = await call(http, shared, role, name)
                assert codes(body) == {"FORBIDDEN"}, (name, role, body)
                assert body["data"] is None
                assert await row_counts(api_db) == before, (name, role)
            else:
                body = await call(http, world, role, name)
                assert "FORBIDDEN" not in codes(body), (name, role, body)
                assert body.get("data") is not None, (name, role, body)
                # The first allowed role runs on untouched rows, so its call must succeed;
                # later ones may meet what it changed (an archived community, say).
                if not succeeded:
                    assert body["data"][name]["userErrors"] == [], (
                        f"{name}: the catalog's input must succeed for role {role.value}",
                        body,
                    )
                    await one_audit_row(api_db, world, name)
                    succeeded = True
            tried += 1
    assert tried == len(mutation_names()) * len(ApiKeyRole)
    report("roles x mutations tried", tried)


async def one_audit_row(database: Database, world: World, action: str) -> None:
    """A successful mutation wrote exactly one audit row, naming it and its caller."""
    async with database.session() as session:
        rows = (
            await session.scalars(
                select(AuditEntry).where(
                    AuditEntry.organization_id == world.organization_id,
                    AuditEntry.actor != "catalog",
                )
            )
        ).all()
    assert [row.action for row in rows] == [action], (action, rows)
    assert rows[0].actor_key_id is not None
    assert rows[0].request_id
    # Mutations are named object-first, so the entry names the object (bulk ingestion may not).
    assert rows[0].target_type is not None or action.endswith("Ingest"), rows[0]


def missing_world_types(world: World) -> list[str]:
    return [name for name in node_types() if name not in world.ids]


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def test_every_node_type_answers_each_role_and_a_foreign_id_as_an_unknown_one(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    own, foreign = await build_world(api_db), await build_world(api_db)
    missing = missing_world_types(own)
    assert not missing, (
        f"Node types tests/e2e/trust_catalog.py build_world does not make: {missing}; "
        "add a row of each so node/nodes are tried on them"
    )
    tried = 0
    for type_name in node_types():
        mine, theirs = own.ids[type_name], foreign.ids[type_name]
        unknown = encode_id(type_name, UNKNOWN_ROW)
        for role in ApiKeyRole:
            key = own.keys[role]
            if not allowed("query", "node", role):
                for body in (
                    await post(http, key, NODE, id=mine),
                    await post(http, key, NODES, ids=[mine]),
                ):
                    assert codes(body) == {"FORBIDDEN"}, (type_name, role, body)
                tried += 1
                continue
            seen = {"__typename": type_name, "id": mine} if may_see_node(type_name, role) else None
            assert (await post(http, key, NODE, id=mine))["data"] == {"node": seen}, (
                type_name,
                role,
            )
            foreign_answer = await post(http, key, NODE, id=theirs)
            unknown_answer = await post(http, key, NODE, id=unknown)
            assert answer(foreign_answer) == answer(unknown_answer), (type_name, role)
            assert foreign_answer["data"] == {"node": None}
            listed = await post(http, key, NODES, ids=[mine, theirs, unknown])
            assert listed["data"] == {"nodes": [seen, None, None]}, (type_name, role, listed)
            tried += 1
    assert tried == len(node_types()) * len(ApiKeyRole)
    report("Node types x roles tried (own, foreign, unknown ids)", tried)


def id_positions(
    value: Any, known: Ids, path: tuple[Any, ...] = ()
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every place in an input holding one of the world's ids, with the id's name there."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from id_positions(item, known, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from id_positions(item, known, (*path, index))
    elif isinstance(value, str):
        yield from ((path, name) for name, v in known.items() if v == value)


def replaced(value: Any, path: tuple[Any, ...], new: str) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: replaced(value[head], rest, new)}
    return [replaced(item, rest, new) if i == head else item for i, item in enumerate(value)]


async def test_a_foreign_id_in_any_mutation_input_answers_exactly_as_an_unknown_id(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    own, foreign = await build_world(api_db), await build_world(api_db)
    key = own.keys[ApiKeyRole.OWNER]
    tried = 0
    for name in mutation_names():
        assert name in MUTATIONS, f"{name} has no entry in tests/e2e/trust_catalog.py MUTATIONS"
        valid = MUTATIONS[name].make_input(own.ids)
        for path, id_name in id_positions(valid, own.ids):
            theirs = foreign.ids[id_name]
            unknown = encode_id(id_name.split("#")[0], UNKNOWN_ROW)
            before = await row_counts(api_db)
            foreign_answer = await post(
                http, key, mutation_document(name), input=replaced(valid, path, theirs)
            )
            unknown_answer = await post(
                http, key, mutation_document(name), input=replaced(valid, path, unknown)
            )
            assert answer(foreign_answer, theirs) == answer(unknown_answer, unknown), (name, path)
            errors = foreign_answer["data"][name]["userErrors"]
            assert errors, (name, path, "a foreign id must be refused", foreign_answer)
            assert await row_counts(api_db) == before, (name, path)
            tried += 1
    assert tried >= len(MUTATIONS)
    report("id arguments of mutations tried with foreign and unknown ids", tried)


def id_argument_paths(
    input_type: GraphQLInputType, depth: int = 0
) -> Iterator[tuple[tuple[str, ...], bool]]:
    """Paths to ID fields inside an argument's type (and whether each is a list of ids)."""
    inner = input_type.of_type if isinstance(input_type, GraphQLNonNull) else input_type
    named = get_named_type(inner)
    if named.name == "ID":
        yield (), isinstance(inner, GraphQLList)
    elif isinstance(named, GraphQLInputObjectType) and depth < 3:
        for field_name, field in named.fields.items():
            for path, is_list in id_argument_paths(field.type, depth + 1):
                yield (field_name, *path), is_list


def nested(path: tuple[str, ...], leaf: Any) -> Any:
    return leaf if not path else {path[0]: nested(path[1:], leaf)}


def selection(field_type: Any) -> str:
    named = get_named_type(field_type)
    if not isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        return ""
    parts = ["__typename"]
    if "totalCount" in named.fields:
        parts.append("totalCount")
    if "nodes" in named.fields:
        parts.append("nodes { __typename }")
    if "id" in named.fields:
        parts.append("id")
    return "{ " + " ".join(parts) + " }"


def query_id_cases() -> Iterator[tuple[str, str, Any]]:
    """(field, document, variables maker) for every ID inside every root query argument."""
    assert SCHEMA.query_type is not None
    for field_name, field in SCHEMA.query_type.fields.items():
        for arg_name, argument in field.args.items():
            for path, is_list in id_argument_paths(argument.type):
                others = {
                    name: arg
                    for name, arg in field.args.items()
                    if name != arg_name and is_required_argument(arg)
                }
                extra = QUERY_ARGUMENTS.get(field_name, {})
                missing = [n for n in others if n not in extra]
                assert not missing, (
                    f"{field_name} needs {missing}: add them to tests/e2e/trust_catalog.py "
                    "QUERY_ARGUMENTS"
                )
                assert not _required_siblings(argument.type, path), (
                    f"{field_name}({arg_name}) has required input fields beside its id"
                )
                declared = ", ".join(f"${n}: {field.args[n].type}" for n in [arg_name, *others])
                passed = ", ".join(f"{n}: ${n}" for n in [arg_name, *others])
                document = f"query({declared}) {{ {field_name}({passed}) {selection(field.type)} }}"

                def variables(
                    value: str,
                    arg_name: str = arg_name,
                    path: tuple[str, ...] = path,
                    is_list: bool = is_list,
                    extra: dict[str, Any] = extra,
                ) -> dict[str, Any]:
                    return {**extra, arg_name: nested(path, [value] if is_list else value)}

                yield (
                    f"{field_name}({arg_name}{''.join('.' + p for p in path)})",
                    document,
                    variables,
                )


def _required_siblings(input_type: GraphQLInputType, path: tuple[str, ...]) -> list[str]:
    named = get_named_type(input_type)
    if not path or not isinstance(named, GraphQLInputObjectType):
        return []
    head = path[0]
    required = [
        name for name, f in named.fields.items() if name != head and is_required_input_field(f)
    ]
    return required + _required_siblings(named.fields[head].type, path[1:])


async def test_a_foreign_id_in_any_query_argument_answers_exactly_as_an_unknown_id(
    http: httpx.AsyncClient, api_db: Database
) -> None:
    own, foreign = await build_world(api_db), await build_world(api_db)
    key = own.keys[ApiKeyRole.OWNER]
    tried = 0
    cases = list(query_id_cases())
    assert {"node(id)", "nodes(ids)"} <= {case for case, _, _ in cases}
    for case, document, variables in cases:
        for type_name in node_types():
            theirs, unknown = foreign.ids[type_name], encode_id(type_name, UNKNOWN_ROW)
            foreign_answer = await post(http, key, document, **variables(theirs))
            unknown_answer = await post(http, key, document, **variables(unknown))
            assert answer(foreign_answer, theirs) == answer(unknown_answer, unknown), (
                case,
                type_name,
                foreign_answer,
                unknown_answer,
            )
            tried += 1
    report("id arguments of queries x Node types tried with foreign and unknown ids", tried)
