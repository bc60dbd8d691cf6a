"""Query cost: priced from the document before anything runs, as documented in docs/SECURITY.md."""

from __future__ import annotations

from api.cost import CostPlanner
from api.schema import schema
from api.settings import CostWeights

WEIGHTS = CostWeights()
TOUR = (
    "{ viewer { role organization { name } } "
    "communities(first: 3, orderBy: {field: NAME, direction: ASC}) { totalCount "
    "pageInfo { hasNextPage endCursor } nodes { id name platform "
    "memberships(first: 2) { totalCount nodes { role member { handle followersCount } } } "
    "content(first: 1) { nodes { title replies(first: 2) { nodes { body author { handle } } } } } "
    "} } }"
)


def price(query: str, variables: dict[str, object] | None = None, name: str | None = None) -> int:
    planner = CostPlanner(WEIGHTS)
    planner.bind(schema._schema)
    return planner.plan(query, name).requested(variables or {}, WEIGHTS)


def test_the_readme_tour_costs_52() -> None:
    # viewer 1 + organization 1 + communities 2+3 + memberships 3x(2+2) + members 6
    # + content 3x(2+1) + replies 3x(2+2) + authors 6
    assert price(TOUR) == 52


def test_a_scalar_field_is_free_and_an_object_costs_one() -> None:
    assert price("{ viewer { role } }") == 1
    assert price("{ viewer { role organization { name } } }") == 2


def test_a_connection_without_a_page_size_is_priced_at_the_default_page() -> None:
    assert price("{ communities { totalCount } }") == 2 + WEIGHTS.default_page_size


def test_nested_connections_multiply_by_the_outer_page_size() -> None:
    query = "{ communities(first: 10) { nodes { memberships(first: 5) { totalCount } } } }"
    assert price(query) == (2 + 10) + 10 * (2 + 5)


def test_edges_and_nodes_price_their_items_alike() -> None:
    by_nodes = "{ members(first: 4) { nodes { interests { weight } } } }"
    by_edges = "{ members(first: 4) { edges { cursor node { interests { weight } } } } }"
    assert price(by_nodes) == price(by_edges) == (2 + 4) + 4 * 1


def test_page_sizes_come_from_variables() -> None:
    query = "query($n: Int) { communities(first: $n) { totalCount } }"
    assert price(query, {"n": 7}) == 9
    assert price(query, {"n": None}) == 2 + WEIGHTS.default_page_size


def test_last_counts_as_the_page_size_too() -> None:
    assert price("{ communities(last: 5) { totalCount } }") == 7


def test_a_page_above_the_maximum_costs_the_maximum_it_could_return() -> None:
    assert price("{ communities(first: 1000) { totalCount } }") == 2 + 100


def test_fields_inside_fragments_are_priced() -> None:
    query = (
        "query { ...Q } fragment Q on Query { communities(first: 2) { nodes { ...C } } } "
        "fragment C on Community { memberships(first: 3) { totalCount } }"
    )
    assert price(query) == (2 + 2) + 2 * (2 + 3)


def test_nodes_by_id_cost_one_per_id() -> None:
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    assert price(query, {"ids": ["a", "b", "c"]}) == 3


def test_each_mutation_costs_ten_whatever_it_selects() -> None:
    query = (
        'mutation { a: communityArchive(input: {id: "x"}) { community { id } } '
        'b: communityArchive(input: {id: "y"}) { userErrors { code } } }'
    )
    assert price(query) == 2 * WEIGHTS.mutation


def test_the_operation_named_is_the_one_priced() -> None:
    query = "query A { viewer { role } } query B { communities(first: 1) { totalCount } }"
    assert price(query, name="A") == 1
    assert price(query, name="B") == 3


def test_plans_are_cached_by_query_text() -> None:
    planner = CostPlanner(WEIGHTS, size=2)
    planner.bind(schema._schema)
    first = planner.plan(TOUR, None)
    assert planner.plan(TOUR, None) is first
    assert planner.plan.cache_info().hits == 1


def test_the_actual_cost_counts_what_came_back() -> None:
    planner = CostPlanner(WEIGHTS)
    planner.bind(schema._schema)
    plan = planner.plan("{ communities(first: 50) { nodes { memberships { totalCount } } } }", None)
    data = {"communities": {"nodes": [{"memberships": {"totalCount": 0}}] * 2}}
    assert plan.actual(data, WEIGHTS) == (2 + 2) + 2 * 2


def nodes(query: str, variables: dict[str, object] | None = None) -> int:
    planner = CostPlanner(WEIGHTS)
    planner.bind(schema._schema)
    return planner.plan(query, None).node_count(variables or {}, WEIGHTS)


def test_the_node_count_multiplies_page_sizes_down_nested_connections_as_github_does() -> None:
    # communities 3 + memberships 3x2 + content 3x1 + replies 3x1x2
    assert nodes(TOUR) == 3 + 6 + 3 + 6


def test_the_node_count_of_github_s_documented_example() -> None:
    # GitHub's "50 repositories x 10 issues" shape: 50 + 50 x 10.
    query = (
        "query($n: Int) { communities(first: $n) { nodes { "
        "memberships(first: 10) { nodes { member { handle } } } } } }"
    )
    assert nodes(query, {"n": 50}) == 50 + 50 * 10


def test_objects_and_lists_hold_no_nodes_but_multiply_the_connections_inside() -> None:
    assert nodes("{ viewer { role organization { name } } }") == 0
    two = '{ nodes(ids: ["a", "b"]) { ... on Community { memberships(first: 7) { totalCount } } } }'
    assert nodes(two) == 2 * 7


def test_a_mutation_counts_no_nodes() -> None:
    mutation = (
        'mutation { communityCreate(input: {name: "x", platform: FORUM, visibility: PUBLIC}) '
        "{ community { memberships(first: 100) { totalCount } } } }"
    )
    assert nodes(mutation) == 0
