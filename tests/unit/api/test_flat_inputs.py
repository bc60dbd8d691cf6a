"""`flat_input` builds what Strawberry's own conversion builds, field for field."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import pytest
import strawberry

from api.inputs import flat_input
from api.payloads import InputIds


@strawberry.enum
class Colour(Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class PlainItem:
    ref: strawberry.ID
    colour: Colour
    at: datetime | None = None
    label: str = "none"
    weight: float | None = strawberry.UNSET
    count: int | None


@flat_input
@strawberry.input
class FlatItem:
    ref: strawberry.ID
    colour: Colour
    at: datetime | None = None
    label: str = "none"
    weight: float | None = strawberry.UNSET
    count: int | None


@strawberry.input
class PlainBatch:
    items: list[PlainItem]
    note: str | None = None


@flat_input
@strawberry.input
class FlatBatch:
    items: list[FlatItem]
    note: str | None = None


@strawberry.type
class Query:
    @strawberry.field
    def plain(self, items: list[PlainItem]) -> str:
        return repr([vars(item) for item in items])

    @strawberry.field
    def flat(self, items: list[FlatItem]) -> str:
        return repr([vars(item) for item in items])

    @strawberry.field
    def plain_batch(self, batch: PlainBatch) -> str:
        return repr((batch.note, [vars(item) for item in batch.items]))

    @strawberry.field
    def flat_batch(self, batch: FlatBatch) -> str:
        return repr((batch.note, [vars(item) for item in batch.items]))


schema = strawberry.Schema(query=Query)

ITEMS: list[dict[str, Any]] = [
    {"ref": "Q29udGVudDox", "colour": "RED"},
    {"ref": "x", "colour": "BLUE", "at": "2026-11-30T12:00:00+00:00", "label": "a", "count": 3},
    {"ref": "y", "colour": "RED", "at": None, "weight": 0.5, "count": None},
]


@pytest.mark.parametrize("item", ITEMS)
def test_a_flat_input_is_built_as_strawberry_builds_the_same_input(item: dict[str, Any]) -> None:
    answers = {}
    for field, kind in (("plain", "PlainItem"), ("flat", "FlatItem")):
        query = f"query($items: [{kind}!]!) {{ {field}(items: $items) }}"
        result = schema.execute_sync(query, variable_values={"items": [item]})
        assert result.errors is None, result.errors
        assert result.data is not None
        answers[field] = result.data[field]
    assert answers["flat"] == answers["plain"]


@pytest.mark.parametrize("note", [None, "n"])
def test_a_flat_input_holding_a_list_of_flat_inputs_is_built_as_strawberry_builds_it(
    note: str | None,
) -> None:
    answers = {}
    for field, kind in (("plainBatch", "PlainBatch"), ("flatBatch", "FlatBatch")):
        query = f"query($batch: {kind}!) {{ {field}(batch: $batch) }}"
        batch: dict[str, Any] = {"items": ITEMS} if note is None else {"items": ITEMS, "note": note}
        result = schema.execute_sync(query, variable_values={"batch": batch})
        assert result.errors is None, result.errors
        assert result.data is not None
        answers[field] = result.data[field]
    assert answers["flatBatch"] == answers["plainBatch"]
    assert "Colour.BLUE" in answers["flatBatch"]


def test_a_literal_flat_input_is_built_as_strawberry_builds_it() -> None:
    literal = '[{ref: "r", colour: BLUE, label: "b"}]'
    result = schema.execute_sync(f"{{ plain(items: {literal}) flat(items: {literal}) }}")
    assert result.data is not None
    assert result.data["flat"] == result.data["plain"]
    assert "'colour': <Colour.BLUE: 'blue'>" in result.data["flat"]


@strawberry.input
class Inner:
    name: str


@flat_input
@strawberry.input
class Outer:
    inner: Inner


@strawberry.type
class Nested:
    @strawberry.field
    def echo(self, value: Outer) -> str:
        return value.inner.name


def test_a_flat_input_refuses_a_field_that_needs_converting() -> None:
    result = strawberry.Schema(query=Nested).execute_sync('{ echo(value: {inner: {name: "n"}}) }')
    assert result.errors is not None
    assert "not a scalar or an enum" in result.errors[0].message


def test_input_ids_decode_each_id_once_and_give_each_bad_id_its_own_number() -> None:
    ids = InputIds()
    good = "Q29udGVudDoxMg=="  # Content:12
    assert [ids.of(good, "Content"), ids.of(good, "Content")] == [12, 12]
    assert ids.of(good, "Member") < 0
    assert ids.of("bad", "Content") != ids.of("bad", "Content")
