"""`townsquare export`: a CRM file from the command line, with the same columns as HTTP."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from api.cli import app
from domain.db import Database
from domain.demo import DemoSpec, seed_demo
from domain.exports import SPECS, ExportKind
from domain.schema_version import upgrade

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'export.db'}"

    async def prepare() -> None:
        database = Database(url)
        try:
            await upgrade(database)
            spec = DemoSpec(seed=5, members=40, communities=2)
            await seed_demo(database, spec, now=datetime(2026, 11, 1, tzinfo=UTC))
        finally:
            await database.dispose()

    asyncio.run(prepare())
    return url


def test_export_writes_a_csv_file_a_crm_can_import(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "memberships.csv"
    result = runner.invoke(
        app, ["export", "memberships", "--org", "demo", "--out", str(out), "--database", db_url]
    )
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    assert tuple(rows[0]) == SPECS[ExportKind.MEMBERSHIPS].column_names
    assert f"Wrote {len(rows)} memberships rows" in result.output


def test_export_to_stdout_as_ndjson(db_url: str) -> None:
    result = runner.invoke(
        app, ["export", "members", "--org", "demo", "--format", "ndjson", "--database", db_url]
    )
    assert result.exit_code == 0, result.output
    lines = [orjson.loads(line) for line in result.stdout_bytes.splitlines()]
    assert len(lines) == 40


def test_export_of_an_unknown_organization_fails_with_a_clear_message(db_url: str) -> None:
    result = runner.invoke(app, ["export", "members", "--org", "nobody", "--database", db_url])
    assert result.exit_code == 1
    assert "nobody" in result.output
