"""Duplicated fields are counted per selection set, merged through fragments as execution
merges them (api/duplicates.py)."""

from __future__ import annotations

from graphql import parse

from api.duplicates import Duplicate, worst_duplicate


def worst(query: str) -> Duplicate | None:
    return worst_duplicate(parse(query))


def test_a_document_without_repeats_has_no_duplicate() -> None:
    assert worst("{ viewer { role organization { name } } }") is None


def test_copies_of_one_field_are_counted_by_response_key() -> None:
    assert worst("{ viewer { role role role x: role } }") == Duplicate("role", 3)


def test_copies_inside_fragments_are_merged_into_the_level_they_are_spread_at() -> None:
    query = (
        "{ viewer { role ...A ... on Viewer { role } } } "
        "fragment A on Viewer { role role ...B } fragment B on Viewer { role }"
    )
    assert worst(query) == Duplicate("role", 5)


def test_a_fragment_spread_twice_at_one_level_counts_once_as_execution_collects_it() -> None:
    query = "{ viewer { ...A ...A ...A } } fragment A on Viewer { role }"
    assert worst(query) is None


def test_copies_under_different_type_conditions_do_not_add_up() -> None:
    # An object is a Community or a Member: it gets the plain `id` and one type's copies.
    query = '{ node(id: "x") { id ... on Community { id } ... on Member { id id } } }'
    assert worst(query) == Duplicate("id", 3)
    many = " ".join(f"... on T{i} {{ id }}" for i in range(40))
    assert worst(f'{{ node(id: "x") {{ {many} }} }}') is None


def test_copies_deep_down_are_found_and_the_worst_level_wins() -> None:
    query = "{ a: viewer { role role } b: viewer { organization { name name name name } } }"
    assert worst(query) == Duplicate("name", 4)


def test_a_cycle_of_fragments_ends_instead_of_recursing_forever() -> None:
    query = (
        "{ viewer { ...A } } fragment A on Viewer { organization { ...B } } "
        "fragment B on Organization { name ...A }"
    )
    assert worst(query) is None


def test_a_chain_of_fragments_each_spread_twice_is_counted_once_per_selection_set() -> None:
    # Walked once per path, 40 fragments each spreading the next in two fields would be 2^40
    # walks, and this check runs before validation and its depth limit.
    chain = " ".join(
        f"fragment F{i} on Organization {{ a: name b: name x: viewer {{ ...F{i + 1} }} "
        f"y: viewer {{ ...F{i + 1} }} }}"
        for i in range(40)
    )
    last = "fragment F40 on Organization { name name }"
    query = f"{{ viewer {{ organization {{ ...F0 }} }} }} {chain} {last}"
    assert worst(query) == Duplicate("name", 2)
