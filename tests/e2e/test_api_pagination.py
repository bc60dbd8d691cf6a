"""Walking a connection page by page yields every row once, in order, even under inserts."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_harness import Api, acme, api, api_db, http, migrated_database, tenant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.app import create_app
from api.ids import decode_id
from domain.db import Database

__all__ = ["acme", "api", "api_db", "http"]

CREATE = """mutation($name: String!) {
  communityCreate(input: {name: $name, platform: FORUM, visibility: PUBLIC}) {
    community { id } userErrors { code } } }"""

PAGE = """query(
  $first: Int, $after: String, $last: Int, $before: String, $order: CommunityOrderBy
) {
  communities(first: $first, after: $after, last: $last, before: $before, orderBy: $order) {
    edges { cursor node { id name createdAt updatedAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }"""

SORT_FIELD = {"CREATED_AT": "createdAt", "NAME": "name", "UPDATED_AT": "updatedAt"}
# ASCII letters only: SQLite compares names byte by byte, which is how Python compares them too.
names = st.text(alphabet="abcdefghijKLMNOP", min_size=1, max_size=4)


def sort_key(node: dict[str, Any], field: str) -> tuple[Any, int]:
    decoded = decode_id(node["id"])
    assert decoded is not None
    return node[SORT_FIELD[field]], decoded[1]


async def walk(
    api: Api, order: dict[str, str], sizes: list[int], inserts: list[list[str]], forward: bool
) -> list[dict[str, Any]]:
    """Every node met walking the whole list one way, with inserts between pages."""
    seen: list[dict[str, Any]] = []
    cursor = None
    for step in itertools.count():
        size = sizes[step % len(sizes)]
        if forward:
            variables = {"first": size, "after": cursor}
        else:
            variables = {"last": size, "before": cursor}
        page = (await api.data(PAGE, order=order, **variables))["communities"]
        nodes = [edge["node"] for edge in page["edges"]]
        seen.extend(nodes if forward else reversed(nodes))
        info = page["pageInfo"]
        more = info["hasNextPage"] if forward else info["hasPreviousPage"]
        if not more:
            return seen if forward else list(reversed(seen))
        assert nodes, "a page claimed more rows but held none"
        cursor = info["endCursor"] if forward else info["startCursor"]
        # Each batch of inserts once: cycling them forever outpaces a walk toward where they
        # land (last/before over a newest-first order), which then never ends.
        for name in inserts[step] if step < len(inserts) else []:
            await api.data(CREATE, name=name)
    raise AssertionError("unreachable")


async def scenario(
    url: str,
    initial: list[str],
    order: dict[str, str],
    sizes: list[int],
    inserts: list[list[str]],
    forward: bool,
) -> None:
    database = await migrated_database(url)
    try:
        owner = await tenant(database, "acme")
        transport = httpx.ASGITransport(app=create_app(database))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = Api(client, owner.key)
            for name in initial:
                await api.data(CREATE, name=name)
            before = (await api.data(PAGE, order=order, first=100))["communities"]["edges"]
            original = [edge["node"]["id"] for edge in before]
            seen = await walk(api, order, sizes, inserts, forward)
    finally:
        await database.dispose()

    ids = [node["id"] for node in seen]
    assert len(ids) == len(set(ids)), "a row came twice"
    assert set(original) <= set(ids), "a row that was there all along was skipped"
    keys = [sort_key(node, order["field"]) for node in seen]
    expected = sorted(keys, reverse=order["direction"] == "DESC")
    assert keys == expected, "rows came out of order"


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    initial=st.lists(names, max_size=25),
    field=st.sampled_from(sorted(SORT_FIELD)),
    direction=st.sampled_from(["ASC", "DESC"]),
    sizes=st.lists(st.integers(min_value=1, max_value=7), min_size=1, max_size=5),
    inserts=st.lists(st.lists(names, max_size=3), max_size=4),
    forward=st.booleans(),
)
def test_walking_the_communities_page_by_page_yields_each_row_once_in_order_despite_inserts(
    tmp_path: Path,
    initial: list[str],
    field: str,
    direction: str,
    sizes: list[int],
    inserts: list[list[str]],
    forward: bool,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/walk.db"
    order = {"field": field, "direction": direction}
    asyncio.run(scenario(url, initial, order, sizes, inserts, forward))


@pytest.mark.parametrize("argument", ["first", "last"])
async def test_a_page_larger_than_100_is_refused_clearly(api: Api, argument: str) -> None:
    body = await api.post(f"{{ communities({argument}: 101) {{ totalCount }} }}")
    error = body["errors"][0]
    assert error["extensions"]["code"] == "OUT_OF_RANGE"
    assert f"`{argument}` must be between 0 and 100" in error["message"]
    assert body["data"] is None


async def test_a_nested_page_larger_than_100_is_refused_clearly(api: Api) -> None:
    await api.data(CREATE, name="x")
    body = await api.post("{ communities { nodes { memberships(first: 1000) { totalCount } } } }")
    assert body["errors"][0]["extensions"]["code"] == "OUT_OF_RANGE"
    assert body["errors"][0]["path"] == ["communities", "nodes", 0, "memberships"]


async def test_a_page_of_exactly_100_is_served(api: Api) -> None:
    data = await api.data("{ communities(first: 100) { totalCount } }")
    assert data["communities"]["totalCount"] == 0


@pytest.mark.parametrize("cursor", ["nonsense", "WzEsMl0", "e30"])
async def test_a_cursor_this_api_never_gave_out_is_refused_clearly(api: Api, cursor: str) -> None:
    body = await api.post("query($c: String) { communities(after: $c) { totalCount } }", c=cursor)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"


async def test_a_cursor_of_another_ordering_is_refused_not_a_500(
    api: Api, api_db: Database
) -> None:
    for name in ["a", "b", "c"]:
        await api.data(CREATE, name=name)
    page = await api.data(PAGE, first=1, order={"field": "NAME", "direction": "ASC"})
    cursor = page["communities"]["pageInfo"]["endCursor"]
    body = await api.post(
        PAGE, first=1, after=cursor, order={"field": "CREATED_AT", "direction": "ASC"}
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_CURSOR"
