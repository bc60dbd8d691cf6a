"""`townsquare seed --scenario` end to end: a simulated community in a SQLite file, and a key."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

KEY = re.compile(r"tsq_[a-z2-7]{38}")
runner = CliRunner()


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "seed.db"
    monkeypatch.setenv("TOWNSQUARE_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def _seed(*extra: str) -> str:
    args = ["seed", "--scenario", "crisis-response", "--members", "150", "--days", "20"]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_seeding_from_a_scenario_writes_its_community_and_prints_a_key(db_file: Path) -> None:
    output = _seed("--strategy", "silent")
    assert KEY.search(output)
    with sqlite3.connect(db_file) as connection:
        name = connection.execute("SELECT name FROM organization").fetchone()[0]
        members = connection.execute("SELECT count(*) FROM member").fetchone()[0]
        engagements = connection.execute("SELECT count(*) FROM engagement").fetchone()[0]
    assert "crisis-response / silent" in name
    assert members >= 150
    assert engagements > 0


def test_an_unknown_strategy_is_refused_before_anything_is_written(db_file: Path) -> None:
    result = runner.invoke(app, ["seed", "--scenario", "crisis-response", "--strategy", "nope"])
    assert result.exit_code == 2
    assert "no strategy 'nope'" in result.output
    assert not db_file.exists()


def test_days_without_a_scenario_is_a_usage_error(db_file: Path) -> None:
    result = runner.invoke(app, ["seed", "--days", "10"])
    assert result.exit_code == 2
