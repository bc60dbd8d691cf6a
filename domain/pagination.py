"""Keyset pagination: pages of any ordered query, with opaque cursors stable under inserts."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from domain.errors import ValidationFailed
from domain.timeutil import as_utc

T = TypeVar("T")
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20
FOREIGN_CURSOR = "the cursor is not one this API gave out"


@dataclass(frozen=True)
class PageRequest:
    """Relay-style arguments: `first`/`after` forward, `last`/`before` backward."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    def validated(self) -> PageRequest:
        for name in ("first", "last"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_PAGE_SIZE:
                raise ValidationFailed.single(
                    name, f"`{name}` must be between 0 and {MAX_PAGE_SIZE}", "OUT_OF_RANGE"
                )
        if self.first is not None and self.last is not None:
            raise ValidationFailed.single("last", "pass either `first` or `last`, not both")
        for name in ("after", "before"):
            value = getattr(self, name)
            if value is not None:
                decode_cursor(value, name)
        return self

    @property
    def backward(self) -> bool:
        return self.last is not None or (self.before is not None and self.first is None)

    @property
    def size(self) -> int:
        chosen = self.last if self.backward else self.first
        return DEFAULT_PAGE_SIZE if chosen is None else chosen

    def key(self) -> tuple[Any, ...]:
        return (self.first, self.after, self.last, self.before)


@dataclass
class Page(Generic[T]):
    """One page of rows with their cursors and whether more lie either side."""

    items: list[T]
    cursors: list[str]
    has_next: bool
    has_previous: bool
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def start_cursor(self) -> str | None:
        return self.cursors[0] if self.cursors else None

    @property
    def end_cursor(self) -> str | None:
        return self.cursors[-1] if self.cursors else None

    @classmethod
    def empty(cls) -> Page[T]:
        return cls([], [], False, False)


@dataclass(frozen=True)
class Ordering:
    """Columns a list is ordered by, ending in a unique one, all in one direction."""

    columns: tuple[Any, ...]
    descending: bool = False


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"t": as_utc(value).isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"t"}:
        return datetime.fromisoformat(value["t"])
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = orjson.dumps([_encode_value(v) for v in values])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, field_name: str = "after") -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError("cursor is not a list")
        return [_decode_value(v) for v in values]
    except (ValueError, binascii.Error, orjson.JSONDecodeError, TypeError) as error:
        raise ValidationFailed.single(field_name, FOREIGN_CURSOR, "INVALID_CURSOR") from error


def _beyond(columns: Sequence[Any], values: Sequence[Any], greater: bool) -> ColumnElement[bool]:
    """Rows strictly past `values` in lexicographic order (written out: portable everywhere)."""
    clauses = []
    for depth, column in enumerate(columns):
        equal_prefix = [columns[i] == values[i] for i in range(depth)]
        step = column > values[depth] if greater else column < values[depth]
        clauses.append(and_(*equal_prefix, step))
    return or_(*clauses)


def _bounded(stmt: Select[Any], ordering: Ordering, request: PageRequest) -> Select[Any]:
    cols = ordering.columns
    if request.after is not None:
        values = decode_cursor(request.after, "after")
        stmt = stmt.where(_beyond(cols, _fit(values, cols, "after"), not ordering.descending))
    if request.before is not None:
        values = decode_cursor(request.before, "before")
        stmt = stmt.where(_beyond(cols, _fit(values, cols, "before"), ordering.descending))
    return stmt


def _fits(value: Any, column: Any) -> bool:
    """Whether a cursor value has the type its column holds (a forged cursor must not reach SQL)."""
    try:
        expected = column.type.python_type
    except NotImplementedError:
        return True
    if isinstance(value, bool):
        return expected is bool
    if expected is int:
        return isinstance(value, int) and -(2**63) <= value < 2**63
    if expected is float:
        return isinstance(value, int | float)
    if expected is str:
        # PostgreSQL refuses NUL in text; such a value can only come from a forged cursor.
        return isinstance(value, str) and "\x00" not in value
    return isinstance(value, expected)


def _fit(values: list[Any], cols: Sequence[Any], name: str) -> list[Any]:
    if len(values) != len(cols) or not all(map(_fits, values, cols)):
        raise ValidationFailed.single(
            name, "the cursor is not one this API gave out", "INVALID_CURSOR"
        )
    return values


def _order_by(ordering: Ordering, reverse: bool) -> list[Any]:
    descending = ordering.descending != reverse
    return [c.desc() if descending else c.asc() for c in ordering.columns]


def _key_of(row: Any, ordering: Ordering) -> list[Any]:
    return [getattr(row, c.key) for c in ordering.columns]


def _assemble(rows: list[Any], ordering: Ordering, request: PageRequest) -> Page[Any]:
    size = request.size
    more = len(rows) > size
    rows = rows[:size]
    if request.backward:
        rows.reverse()
        has_next, has_previous = request.before is not None, more
    else:
        has_next, has_previous = more, request.after is not None
    cursors = [encode_cursor(_key_of(r, ordering)) for r in rows]
    return Page(rows, cursors, has_next, has_previous)


async def fetch_page(
    session: Any, stmt: Select[Any], ordering: Ordering, request: PageRequest
) -> Page[Any]:
    """Run `stmt` (selecting one entity) as one keyset page."""
    request = request.validated()
    if request.size == 0:
        return Page.empty()
    bounded = _bounded(stmt, ordering, request).order_by(*_order_by(ordering, request.backward))
    rows = list((await session.scalars(bounded.limit(request.size + 1))).all())
    return _assemble(rows, ordering, request)


@dataclass(frozen=True)
class PageShape:
    """What a page's statement depends on besides values: its direction and its cursors.

    Pages of one shape (and one base statement) share one statement, run with their values
    (`page_parameters`), so a repository may build it once (`pages_by_parent_statement`).
    """

    backward: bool
    after: bool
    before: bool

    @classmethod
    def of(cls, request: PageRequest) -> PageShape:
        return cls(request.backward, request.after is not None, request.before is not None)


def _beyond_bound(columns: Sequence[Any], prefix: str, greater: bool) -> ColumnElement[bool]:
    """`_beyond` with the cursor's values as parameters `<prefix>_0`, `<prefix>_1`, ..."""
    values = [bindparam(f"{prefix}_{i}", type_=c.type) for i, c in enumerate(columns)]
    return _beyond(columns, values, greater)


def pages_by_parent_statement(
    stmt: Select[Any],
    model: Any,
    parent_column: Any,
    ordering: Ordering,
    shape: PageShape,
    plain: bool,
) -> Select[Any]:
    """One keyset page per parent in a single query (ROW_NUMBER over each parent's rows),
    with parameters `parent_ids`, `page_rows` and the cursor's (see `page_parameters`)."""
    cols = ordering.columns
    if shape.after:
        stmt = stmt.where(_beyond_bound(cols, "after", not ordering.descending))
    if shape.before:
        stmt = stmt.where(_beyond_bound(cols, "before", ordering.descending))
    rank = func.row_number().over(
        partition_by=parent_column, order_by=_order_by(ordering, shape.backward)
    )
    inner = (
        stmt.where(parent_column.in_(bindparam("parent_ids", expanding=True)))
        .add_columns(rank.label("rank_in_parent"))
        .subquery()
    )
    if plain:
        outer = select(*(inner.c[column.name] for column in model.__table__.columns))
    else:
        outer = select(aliased(model, inner))
    return outer.where(inner.c.rank_in_parent <= bindparam("page_rows")).order_by(
        inner.c.rank_in_parent
    )


def page_parameters(
    ordering: Ordering, request: PageRequest, parent_ids: Sequence[int]
) -> dict[str, Any]:
    """The values of a `pages_by_parent_statement` for `request` (its cursors checked)."""
    values: dict[str, Any] = {"parent_ids": list(parent_ids), "page_rows": request.size + 1}
    for name, cursor in (("after", request.after), ("before", request.before)):
        if cursor is not None:
            fitted = _fit(decode_cursor(cursor, name), ordering.columns, name)
            values.update({f"{name}_{i}": value for i, value in enumerate(fitted)})
    return values


async def fetch_pages_by_parent(
    session: Any,
    model: Any,
    stmt: Select[Any],
    parent_column: Any,
    parent_ids: Sequence[int],
    ordering: Ordering,
    request: PageRequest,
    plain: bool = False,
) -> dict[int, Page[Any]]:
    """One keyset page per parent in a single query (ROW_NUMBER over each parent's rows).

    `plain` pages hold SQLAlchemy rows of the table's columns (read by attribute, like the
    entity) instead of entities: for readers that only copy the columns out, building and
    identity-mapping an entity per row cost more than the statement.
    """
    shape = PageShape.of(request)
    statement = pages_by_parent_statement(stmt, model, parent_column, ordering, shape, plain)
    return await run_pages_by_parent(
        session, statement, {}, parent_column.key, parent_ids, ordering, request, plain
    )


async def run_pages_by_parent(
    session: Any,
    statement: Select[Any],
    values: dict[str, Any],
    parent_key: str,
    parent_ids: Sequence[int],
    ordering: Ordering,
    request: PageRequest,
    plain: bool,
) -> dict[int, Page[Any]]:
    """Run a `pages_by_parent_statement` of `request`'s shape with `values` (the base
    statement's) and the page's own, and cut its rows into one page per parent."""
    request = request.validated()
    pages: dict[int, Page[Any]] = {pid: Page.empty() for pid in parent_ids}
    if request.size == 0 or not parent_ids:
        return pages
    values = {**values, **page_parameters(ordering, request, parent_ids)}
    run = session.execute if plain else session.scalars
    found = (await run(statement, values)).all()
    grouped: dict[int, list[Any]] = {pid: [] for pid in parent_ids}
    for row in found:
        grouped[getattr(row, parent_key)].append(row)
    for pid, rows in grouped.items():
        pages[pid] = _assemble(rows, ordering, request)
    return pages
