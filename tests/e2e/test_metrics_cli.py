"""`townsquare rollups rebuild` end to end on a seeded SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.cli import app

runner = CliRunner()


@pytest.fixture
def db_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("TOWNSQUARE_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    return path


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _rollups(path: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as connection:
        daily = connection.execute("SELECT * FROM community_daily ORDER BY 1, 2").fetchall()
        bitmaps = connection.execute("SELECT * FROM active_members_day ORDER BY 1, 2").fetchall()
    return daily + bitmaps


def test_rollups_rebuild_restores_rollups_that_were_lost(db_file: Path) -> None:
    _ok("seed", "--members", "40", "--communities", "2")
    seeded = _rollups(db_file)
    with sqlite3.connect(db_file) as connection:
        connection.execute("DELETE FROM community_daily")
        connection.execute("DELETE FROM active_members_day")

    output = _ok("rollups", "rebuild")

    assert "Rebuilt 2 communities" in output
    assert seeded
    assert _rollups(db_file) == seeded


def test_rollups_rebuild_of_an_unknown_community_fails_clearly(db_file: Path) -> None:
    _ok("migrate")

    result = runner.invoke(app, ["rollups", "rebuild", "--community", "999"])

    assert result.exit_code == 1
    assert "not found" in result.output


def test_influence_recompute_scores_every_membership_of_the_seed(db_file: Path) -> None:
    _ok("seed", "--members", "40", "--communities", "2")
    with sqlite3.connect(db_file) as connection:
        connection.execute("DELETE FROM membership_influence")
        memberships = connection.execute("SELECT count(*) FROM membership").fetchone()[0]

    output = _ok("influence", "recompute")

    assert f"Scored {memberships} memberships in 1 organizations" in output
    with sqlite3.connect(db_file) as connection:
        assert connection.execute("SELECT count(*) FROM membership_influence").fetchone()[0] == (
            memberships
        )


def test_orbit_reevaluate_puts_back_levels_that_drifted_from_love(db_file: Path) -> None:
    _ok("seed", "--members", "40", "--communities", "2")
    with sqlite3.connect(db_file) as connection:
        levels = connection.execute("SELECT id, orbit_level FROM membership ORDER BY id").fetchall()
        connection.execute("UPDATE membership SET orbit_level = 1")

    output = _ok("orbit", "reevaluate")

    drifted = sum(level != 1 for _, level in levels)
    assert f"Re-evaluated 2 communities: {drifted} orbit changes" in output
    with sqlite3.connect(db_file) as connection:
        assert (
            connection.execute("SELECT id, orbit_level FROM membership ORDER BY id").fetchall()
            == levels
        )
        assert connection.execute("SELECT count(*) FROM orbit_change").fetchone()[0] == drifted
