"""The bulk writer's own timestamp binding stores exactly what SQLAlchemy's type would."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects.postgresql import asyncpg
from sqlalchemy.dialects.sqlite import aiosqlite
from sqlmodel import SQLModel

import domain.tables  # noqa: F401  (registers every table)
from domain.bulk import bound_tuples

MOMENTS = [
    datetime(2026, 11, 30, 12, 0, 0),
    datetime(2026, 11, 30, 12, 0, 0, 1),
    datetime(999, 1, 2, 3, 4, 5, 600_000),
    datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, 0, 250, tzinfo=timezone(timedelta(hours=2))),
    None,
]


@pytest.mark.parametrize("dialect", [aiosqlite.dialect(), asyncpg.dialect()], ids=lambda d: d.name)
def test_bulk_timestamps_bind_as_the_column_type_binds_them(dialect):
    table = SQLModel.metadata.tables["engagement"]
    columns = {"occurred_at": MOMENTS, "kind": ["like"] * len(MOMENTS)}
    column_type = table.c.occurred_at.type
    processor = column_type.dialect_impl(dialect).bind_processor(dialect)
    expected = [(processor(moment), "like") for moment in MOMENTS]
    assert bound_tuples(table, columns, dialect) == expected
