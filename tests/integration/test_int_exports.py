"""CRM exports from the database: every row once, in id order, tenant-scoped, in flat memory."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import func, select
from sqlmodel import col

from domain.db import Database
from domain.demo import DemoSpec, seed_demo
from domain.entities import Engagement, Member, Membership
from domain.exports import (
    SPECS,
    ExportFormat,
    ExportKind,
    ExportRequest,
    count_rows,
    encode_batch,
    export_stream,
)

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)
TABLES = {ExportKind.MEMBERS: Member, ExportKind.MEMBERSHIPS: Membership}


async def _seed(db: Database, slug: str = "demo", members: int = 60) -> int:
    spec = DemoSpec(seed=7, members=members, communities=3, organization_slug=slug)
    report = await seed_demo(db, spec, now=NOW)
    return report.organization_id


async def _export(db: Database, request: ExportRequest, fmt: ExportFormat) -> bytes:
    async with db.session() as session:
        return b"".join([chunk async for chunk in export_stream(session, request, fmt)])


@pytest.mark.parametrize("kind", list(ExportKind))
async def test_an_export_holds_every_row_of_the_organization_once_in_id_order(
    db: Database, kind: ExportKind
) -> None:
    organization = await _seed(db)
    other = await _seed(db, "rival", members=30)
    request = ExportRequest(organization, kind, batch_size=37)
    text = (await _export(db, request, ExportFormat.CSV)).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == SPECS[kind].column_names
    ids = [int(row[0]) for row in rows[1:]]
    assert ids == sorted(set(ids))
    async with db.session() as session:
        assert len(ids) == await count_rows(session, request)
        assert await count_rows(session, ExportRequest(other, kind)) > 0
        table = Engagement if kind is ExportKind.ENGAGEMENT else TABLES[kind]
        expected = await session.scalar(
            select(func.count()).where(col(table.organization_id) == organization)
        )
    assert len(ids) == expected


async def test_ndjson_lines_parse_one_object_each_with_the_columns_as_keys(db: Database) -> None:
    organization = await _seed(db)
    request = ExportRequest(organization, ExportKind.MEMBERSHIPS, batch_size=25)
    lines = (await _export(db, request, ExportFormat.NDJSON)).splitlines()
    records = [orjson.loads(line) for line in lines]
    assert records
    assert all(tuple(r) == SPECS[ExportKind.MEMBERSHIPS].column_names for r in records)
    assert all(r["joined_at"].endswith("Z") for r in records)


async def test_since_keeps_only_the_engagement_that_occurred_from_then_on(db: Database) -> None:
    organization = await _seed(db)
    since = NOW - timedelta(days=10)
    request = ExportRequest(organization, ExportKind.ENGAGEMENT, since=since)
    records = [
        orjson.loads(line)
        for line in (await _export(db, request, ExportFormat.NDJSON)).splitlines()
    ]
    everything = ExportRequest(organization, ExportKind.ENGAGEMENT)
    async with db.session() as session:
        total = await count_rows(session, everything)
    assert 0 < len(records) < total
    assert all(r["occurred_at"] >= since.isoformat().replace("+00:00", "Z") for r in records)


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_in_csv() -> None:
    spec = SPECS[ExportKind.MEMBERS]
    row = (1, "=HYPERLINK(1)", "+ok", "-1", "@me", 0, 0, NOW, NOW)
    text = encode_batch(spec, ExportFormat.CSV, [row]).decode()
    assert next(csv.reader(io.StringIO(text)))[1:5] == ["'=HYPERLINK(1)", "'+ok", "'-1", "'@me"]
    assert b"=HYPERLINK" in encode_batch(spec, ExportFormat.NDJSON, [row])


async def _peak_streaming(db: Database, organization: int) -> tuple[int, int]:
    request = ExportRequest(organization, ExportKind.ENGAGEMENT, batch_size=500)
    rows = 0
    async with db.session() as session:
        tracemalloc.start()
        async for chunk in export_stream(session, request, ExportFormat.CSV):
            rows += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return rows, peak


async def test_streaming_memory_stays_flat_when_the_export_grows_tenfold(db: Database) -> None:
    small = await _seed(db, "small", members=40)
    large = await _seed(db, "large", members=400)
    small_rows, small_peak = await _peak_streaming(db, small)
    large_rows, large_peak = await _peak_streaming(db, large)
    assert large_rows > 8 * small_rows
    # Memory is one batch's worth either way, not proportional to the rows.
    assert large_peak < 2 * small_peak + 512 * 1024
