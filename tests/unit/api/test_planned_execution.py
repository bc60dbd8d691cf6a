"""The planned executor: which fields take the short way, and that its answers are the stock's.

A small Strawberry schema of its own holds every kind of field the planner sorts (attributes,
resolvers with and without `info`, arguments, async ones, relay ids with default and custom
identity, extensions) and every way a leaf can fail (a null for a non-null field, a value the
scalar refuses, a raising property), so each case is run by both executors and compared.
"""

from __future__ import annotations

import enum
from typing import Any, ClassVar

import pytest
import strawberry
from strawberry import relay
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from api.execution import bind, planned_executor
from api.schema import schema as townsquare_schema


class Allowed(BasePermission):
    message = "no"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        return True


class Upper(FieldExtension):
    def resolve(self, next_: Any, source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        return str(next_(source, info, **kwargs)).upper()


@strawberry.enum
class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


@strawberry.type
class Book(relay.Node):
    id: relay.NodeID[int]
    title: str
    subtitle: str | None
    pages: int
    mood: Mood
    shelf: str = strawberry.field(permission_classes=[Allowed])
    shout: str = strawberry.field(extensions=[Upper()])

    @strawberry.field
    def long(self) -> bool:
        return self.pages > 100

    @strawberry.field
    def title_with(self, info: strawberry.Info) -> str:
        return f"{self.title} ({info.field_name})"

    @strawberry.field
    def repeated(self, times: int = 2) -> str:
        return self.title * times

    @strawberry.field
    async def later(self) -> str:
        return self.title

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("broken resolver")

    @strawberry.field
    def missing(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field
    def maybe_missing(self) -> str | None:
        return None

    @strawberry.field
    def not_a_number(self) -> int:
        return "many"  # type: ignore[return-value]

    @strawberry.field
    def sequel(self) -> Book | None:
        return None if self.pages > 500 else book(self.id + 1, "Sequel", None, 600, Mood.SAD)


@strawberry.type
class Scroll(relay.Node):
    """A node with its own identity: the relay id must take the stock way."""

    code: relay.NodeID[str]

    @classmethod
    def resolve_id(cls, root: Scroll, *, info: strawberry.Info) -> str:
        return f"{root.code}-{info.path.key}"


def book(id: int, title: Any, subtitle: str | None, pages: int, mood: Mood) -> Book:
    return Book(
        id=id, title=title, subtitle=subtitle, pages=pages, mood=mood, shelf="A1", shout=title
    )


BOOKS = [book(1, "Dune", None, 412, Mood.HAPPY), book(2, "Emma", "A novel", 90, Mood.SAD)]


@strawberry.type
class Query:
    @strawberry.field
    def books(self) -> list[Book]:
        return BOOKS

    @strawberry.field
    def strict_books(self) -> list[Book]:
        return BOOKS

    @strawberry.field
    def scroll(self) -> Scroll:
        return Scroll(code="s1")

    @strawberry.field
    def no_book(self) -> Book:
        return None  # type: ignore[return-value]

    @strawberry.field
    def not_a_book(self) -> Book:
        return Scroll(code="s2")  # type: ignore[return-value]

    @strawberry.field
    def odd_book(self) -> Book:
        # A title the String scalar refuses (a dict), read by the planned attribute read.
        return book(3, {"not": "text"}, None, 1, Mood.HAPPY)


def build(executor: type[StrawberryGraphQLCoreExecutionContext] | None = None, **kw: Any) -> Any:
    return strawberry.Schema(query=Query, execution_context_class=executor, **kw)


def planned(**kw: Any) -> Any:
    executor = planned_executor()
    built = build(executor, **kw)
    bind(executor, built)
    return built


def kinds(built: Any, type_name: str) -> dict[str, str]:
    plans = built.execution_context_class.plans
    return {name: plan.kind for name, plan in plans[built._schema.type_map[type_name]].items()}


def test_attribute_leaves_relay_ids_and_self_resolvers_get_plans_and_nothing_else_does() -> None:
    assert kinds(planned(), "Book") == {
        "id": "relay id",
        "title": "attribute",
        "subtitle": "attribute",
        "pages": "attribute",
        "mood": "attribute",
        "long": "self resolver",
        "broken": "self resolver",
        "missing": "self resolver",
        "maybeMissing": "self resolver",
        "notANumber": "self resolver",
    }


def test_permissions_extensions_arguments_info_async_and_objects_take_the_stock_way() -> None:
    planned_fields = set(kinds(planned(), "Book"))
    stock = {"shelf", "shout", "repeated", "titleWith", "later", "sequel"}
    assert not planned_fields & stock


def test_townsquare_plans_content_fields_and_leaves_its_relations_to_the_stock_way() -> None:
    content = kinds(townsquare_schema, "Content")
    assert content["id"] == "relay id"
    assert content["title"] == "attribute"
    assert not {"author", "replies", "community", "topics"} & set(content)
    assert kinds(townsquare_schema, "Community")["archived"] == "self resolver"


DOCUMENTS = {
    "every field": """{ books { id title subtitle pages mood shelf shout long titleWith
        repeated(times: 3) later maybeMissing sequel { id title sequel { id } } } }""",
    "aliases and fragments": """{ books { first: title ...B again: title ... on Book { id } } }
        fragment B on Book { pages name: title mood }""",
    "the same field twice under one name": """{ books { title title ...T } }
        fragment T on Book { title }""",
    "a null for a non-null field nulls the parent": "{ books { title missing } }",
    "a raising resolver nulls the parent": "{ books { id broken } }",
    "a value the scalar refuses": "{ books { notANumber } }",
    "a non-string title refused by String": "{ oddBook { id title } }",
    "a node with its own identity": "{ scroll { id code } }",
    "typename": "{ books { __typename id } }",
    "a null for a non-null object": "{ books { id } noBook { id } }",
    "another type for a non-null object": "{ notABook { id title } }",
}

VARIABLE_DOCUMENTS = [
    ("query($s: Boolean!) { books { title @skip(if: $s) pages @include(if: $s) } }", {"s": True}),
    ("query($s: Boolean!) { books { title @skip(if: $s) pages @include(if: $s) } }", {"s": False}),
    ("query($s: Boolean!) { books { ... on Book @include(if: $s) { id } mood } }", {"s": False}),
]


async def both(document: str, variables: dict[str, Any] | None = None) -> tuple[Any, Any]:
    fast = await planned().execute(document, variable_values=variables)
    stock = await build().execute(document, variable_values=variables)
    return fast, stock


def same(fast: Any, stock: Any) -> None:
    assert fast.data == stock.data
    assert [e.formatted for e in fast.errors or []] == [e.formatted for e in stock.errors or []]
    assert fast.extensions == stock.extensions


@pytest.mark.parametrize("document", DOCUMENTS.values(), ids=DOCUMENTS.keys())
async def test_the_planned_executor_answers_exactly_as_the_stock_one(document: str) -> None:
    same(*await both(document))


@pytest.mark.parametrize(("document", "variables"), VARIABLE_DOCUMENTS)
async def test_skip_and_include_with_variables_answer_exactly_as_the_stock_way(
    document: str, variables: dict[str, Any]
) -> None:
    same(*await both(document, variables))


async def test_a_failing_non_null_leaf_is_located_and_nulls_its_parent() -> None:
    fast, _ = await both("{ books { title missing } }")
    assert fast.data is None  # books is a non-null list of non-null books
    assert fast.errors[0].path == ["books", 0, "missing"]
    assert "Cannot return null for non-nullable field Book.missing." in fast.errors[0].message


async def test_relay_ids_of_the_short_way_decode_to_the_parent_type_and_row_id() -> None:
    fast, _ = await both("{ books { id } }")
    assert [relay.GlobalID.from_id(b["id"]).node_id for b in fast.data["books"]] == ["1", "2"]
    assert {relay.GlobalID.from_id(b["id"]).type_name for b in fast.data["books"]} == {"Book"}


class Counting(SchemaExtension):
    """A resolve hook: it must see every field, the planned ones too."""

    seen: ClassVar[list[str]] = []

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        Counting.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


async def test_a_schema_extension_with_a_resolve_hook_sees_every_field() -> None:
    Counting.seen = []
    result = await planned(extensions=[Counting]).execute("{ books { title pages } }")
    assert result.errors is None
    assert Counting.seen.count("title") == 2
    assert Counting.seen.count("pages") == 2
