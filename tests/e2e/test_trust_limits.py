"""Depth, alias, token and cost limits refuse before anything runs; cost is reported; throttling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from api_harness import Api, Tenant, acme, api, api_db, counting_statements, http, row_counts

from api.app import create_app
from api.ratelimit import MemoryBuckets
from api.settings import TrustSettings
from domain.db import Database

__all__ = ["acme", "api", "api_db", "http"]

TOUR = (
    "{ viewer { role organization { name } } "
    "communities(first: 3, orderBy: {field: NAME, direction: ASC}) { totalCount "
    "pageInfo { hasNextPage endCursor } nodes { id name platform "
    "memberships(first: 2) { totalCount nodes { role member { handle followersCount } } } "
    "content(first: 1) { nodes { title replies(first: 2) { nodes { body author { handle } } } } } "
    "} } }"
)
CREATE = """mutation($name: String!) {
  communityCreate(input: {name: $name, platform: FORUM, visibility: PUBLIC}) {
    community { id } userErrors { code } } }"""


def code(body: dict[str, Any]) -> str:
    return str(body["errors"][0]["extensions"]["code"])


async def refused_without_reading(api: Api, api_db: Database, query: str) -> dict[str, Any]:
    """The answer to `query`, checking that no tenant table was read to give it."""
    with counting_statements(api_db) as statements:
        body = await api.post(query)
    # Only the key check may touch the database; a refused query reads no tenant table.
    assert not [s for s in statements if "community" in s.lower()], statements
    assert body["data"] is None
    return body


def nested(depth: int) -> str:
    # Each level of content -> replies -> nodes adds two levels of depth.
    inner = "id"
    for _ in range(depth):
        inner = f"replies(first: 1) {{ nodes {{ {inner} }} }}"
    return (
        f"{{ communities(first: 1) {{ nodes {{ content(first: 1) {{ nodes {{ {inner} }} }} }} }} }}"
    )


async def test_a_query_deeper_than_10_is_refused_with_max_depth_exceeded(
    api: Api, api_db: Database
) -> None:
    body = await refused_without_reading(api, api_db, nested(4))
    assert code(body) == "MAX_DEPTH_EXCEEDED"


async def test_a_query_of_depth_10_runs(api: Api) -> None:
    await api.data(nested(2))


async def test_more_than_15_aliases_are_refused_even_inside_fragments(
    api: Api, api_db: Database
) -> None:
    aliases = " ".join(f"a{i}: role" for i in range(16))
    query = f"{{ viewer {{ ...V }} }} fragment V on Viewer {{ {aliases} }}"
    body = await refused_without_reading(api, api_db, query)
    assert code(body) == "MAX_ALIASES_EXCEEDED"


async def test_15_aliases_are_allowed(api: Api) -> None:
    aliases = " ".join(f"a{i}: role" for i in range(15))
    await api.data(f"{{ viewer {{ {aliases} }} }}")


async def test_a_document_of_more_than_2000_tokens_is_refused(api: Api, api_db: Database) -> None:
    query = "{ viewer { " + "role " * 2100 + "} }"
    body = await refused_without_reading(api, api_db, query)
    assert code(body) == "MAX_TOKENS_EXCEEDED"


async def test_a_query_costing_more_than_5000_is_refused_before_it_runs(
    api: Api, api_db: Database
) -> None:
    query = (
        "{ communities(first: 100) { nodes { "
        "memberships(first: 100) { nodes { member { id } } } } } }"
    )
    body = await refused_without_reading(api, api_db, query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert error["extensions"]["cost"] == 102 + 100 * 102 + 100 * 100
    assert body["extensions"]["cost"]["requestedQueryCost"] == error["extensions"]["cost"]


async def test_a_field_selected_more_than_10_times_through_fragments_is_refused_before_validation(
    api: Api, api_db: Database
) -> None:
    copies = "role " * 5
    query = (
        f"{{ viewer {{ role ...A ...B }} }} "
        f"fragment A on Viewer {{ {copies} }} fragment B on Viewer {{ {copies} }}"
    )
    body = await refused_without_reading(api, api_db, query)
    [error] = body["errors"]
    assert error["extensions"] == {
        "code": "MAX_DUPLICATE_FIELDS_EXCEEDED",
        "field": "role",
        "count": 11,
        "maximum": 10,
    }


async def test_a_thousand_copies_of_a_field_are_refused_with_one_error(
    api: Api, api_db: Database
) -> None:
    # Validation would compare every pair of copies; the refusal comes before it.
    body = await refused_without_reading(api, api_db, "{ viewer { " + "role " * 1000 + "} }")
    assert [code(body)] == [e["extensions"]["code"] for e in body["errors"]]
    assert code(body) == "MAX_DUPLICATE_FIELDS_EXCEEDED"


async def test_10_copies_of_a_field_run(api: Api) -> None:
    data = await api.data("{ viewer { " + "role " * 10 + "} }")
    assert data["viewer"]["role"] == "OWNER"


async def test_the_node_count_is_reported_with_the_cost(api: Api) -> None:
    body = await api.post(TOUR)
    assert body["extensions"]["cost"]["nodes"] == 3 + 3 * 2 + 3 * 1 + 3 * 1 * 2


async def test_a_query_asking_for_more_nodes_than_the_limit_is_refused_before_it_runs(
    api_db: Database, acme: Tenant
) -> None:
    app = create_app(api_db, TrustSettings(max_nodes=100), deliver_webhooks=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        limited = Api(client, acme.key)
        query = "{ communities(first: 10) { nodes { memberships(first: 10) { totalCount } } } }"
        body = await refused_without_reading(limited, api_db, query)
        [error] = body["errors"]
        assert error["extensions"] == {
            "code": "MAX_NODES_EXCEEDED",
            "nodes": 110,
            "maximumNodes": 100,
        }
        fits = "{ communities(first: 10) { nodes { memberships(first: 9) { totalCount } } } }"
        assert "errors" not in await limited.post(fits)


async def test_a_batch_of_operations_is_refused_with_400(http: httpx.AsyncClient, api: Api) -> None:
    batch = [{"query": "{ viewer { role } }"}, {"query": "{ viewer { role } }"}]
    response = await http.post("/graphql", json=batch, headers=api.headers())
    assert response.status_code == 400
    assert "Batching is not enabled" in response.text


async def test_the_tour_reports_requested_and_actual_cost_as_shopify_does(api: Api) -> None:
    await api.data(CREATE, name="Only one")
    body = await api.post(TOUR)
    assert "errors" not in body
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 52
    # viewer 1 + organization 1 + communities 2 + one community 1 + two empty connections 2 + 2
    assert cost["actualQueryCost"] == 9
    status = cost["throttleStatus"]
    assert status["maximumAvailable"] == TrustSettings().bucket_size
    assert status["restoreRate"] == TrustSettings().restore_rate
    assert 0 < status["currentlyAvailable"] <= status["maximumAvailable"]


@pytest.fixture
async def small_bucket(api_db: Database, acme: Tenant) -> AsyncIterator[Api]:
    """A client whose key has 3 points that never refill (the clock stands still)."""
    limiter = MemoryBuckets(3, 0.5, clock=lambda: 0.0)
    app = create_app(api_db, TrustSettings(bucket_size=3, restore_rate=0.5), limiter)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://townsquare.test") as client:
        yield Api(client, acme.key)


async def test_a_drained_bucket_answers_429_with_retry_after(small_bucket: Api) -> None:
    client = small_bucket.client
    headers = small_bucket.headers()
    remaining = []
    for _ in range(3):
        response = await client.post(
            "/graphql", json={"query": "{ viewer { role } }"}, headers=headers
        )
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Limit"] == "3"
        remaining.append(response.headers["X-RateLimit-Remaining"])
    assert remaining == ["2", "1", "0"]
    response = await client.post("/graphql", json={"query": "{ viewer { role } }"}, headers=headers)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "2"  # one point missing at half a point a second
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "THROTTLED"
    assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0


async def test_a_throttled_mutation_writes_nothing(small_bucket: Api, api_db: Database) -> None:
    before = await row_counts(api_db)
    response = await small_bucket.client.post(
        "/graphql",
        json={"query": CREATE, "variables": {"name": "x"}},
        headers=small_bucket.headers(),
    )
    assert response.status_code == 429
    assert await row_counts(api_db) == before
