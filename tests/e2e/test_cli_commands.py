"""The `townsquare` CLI end to end, on a SQLite file named by TOWNSQUARE_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from api.cli import app
from domain.db import Database
from domain.schema_version import alembic_config
from domain.services.organizations import OrganizationService

KEY = re.compile(r"tsq_[a-z2-7]{38}")
ROOT = Path(__file__).resolve().parents[2]
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


def _authenticates(path: Path, key: str) -> tuple[int, str]:
    async def check() -> tuple[int, str]:
        database = Database(f"sqlite+aiosqlite:///{path}")
        try:
            async with database.session() as session:
                principal = await OrganizationService(session).authenticate(key)
                return principal.organization_id, principal.role.value
        finally:
            await database.dispose()

    return asyncio.run(check())


def _handles(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [r[0] for r in connection.execute("SELECT handle FROM member ORDER BY id")]


def test_migrate_reports_the_revision_before_and_after(db_file: Path) -> None:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"base -> {head}" in _ok("migrate")
    assert f"{head} -> {head}" in _ok("migrate")
    assert f"{head} -> base" in _ok("migrate", "--downgrade", "base")


def test_migrate_accepts_a_database_option(tmp_path: Path, db_file: Path) -> None:
    other = tmp_path / "other.db"
    _ok("migrate", "--database", f"sqlite+aiosqlite:///{other}")
    assert other.exists()
    assert not db_file.exists()


def test_org_create_makes_an_organization_with_topics(db_file: Path) -> None:
    _ok("migrate")
    output = _ok("org", "create", "acme", "--name", "Acme", "--topic", "repair:Repair and care")
    assert "Created organization acme" in output
    assert "repair" in output
    with sqlite3.connect(db_file) as connection:
        rows = connection.execute("SELECT slug, name FROM topic").fetchall()
    assert rows == [("repair", "Repair and care")]


def test_org_create_refuses_a_duplicate_and_a_bad_slug_with_exit_code_1(db_file: Path) -> None:
    _ok("migrate")
    _ok("org", "create", "acme", "--name", "Acme")
    duplicate = runner.invoke(app, ["org", "create", "acme", "--name", "Again"])
    bad = runner.invoke(app, ["org", "create", "Not A Slug", "--name", "X"])
    assert duplicate.exit_code == 1
    assert "exists already" in duplicate.output
    assert bad.exit_code == 1
    assert "INVALID_FORMAT" in bad.output


def test_apikey_create_prints_a_key_that_authenticates(db_file: Path) -> None:
    _ok("migrate")
    _ok("org", "create", "acme", "--name", "Acme")
    output = _ok("apikey", "create", "--org", "acme", "--role", "analyst", "--name", "ci")
    [key] = KEY.findall(output)
    assert "only its hash" in output
    assert _authenticates(db_file, key)[1] == "analyst"
    with sqlite3.connect(db_file) as connection:
        stored = connection.execute("SELECT key_hash, name FROM api_key").fetchall()
    assert all(key not in h for h, _ in stored)
    assert stored[0][1] == "ci"


def test_apikey_create_for_an_unknown_organization_fails(db_file: Path) -> None:
    _ok("migrate")
    result = runner.invoke(app, ["apikey", "create", "--org", "nobody", "--role", "owner"])
    assert result.exit_code == 1
    assert "not found" in result.output


def test_seed_migrates_shows_counts_and_prints_an_owner_key(db_file: Path) -> None:
    output = _ok("seed", "--members", "40", "--communities", "3")
    assert re.search(r"members\s*│\s*40\b", output)
    assert re.search(r"communities\s*│\s*3\b", output)
    [key] = set(KEY.findall(output))
    assert _authenticates(db_file, key)[1] == "owner"
    assert "curl" in output
    assert f"Bearer {key}" in output


def test_seed_is_deterministic_for_a_seed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outputs, handles = [], []
    for name in ("one", "two", "three"):
        path = tmp_path / f"{name}.db"
        monkeypatch.setenv("TOWNSQUARE_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
        seed = "5" if name == "three" else "4"
        output = _ok("seed", "--seed", seed, "--members", "50", "--communities", "4")
        outputs.append(re.findall(r"^│ (\w[\w ]*?)\s*│\s*([\d,]+) │$", output, re.M))
        handles.append(_handles(path))
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) >= 9
    assert handles[0] == handles[1]
    assert handles[0] != handles[2]


def test_seeding_twice_says_the_organization_exists_and_exits_cleanly(db_file: Path) -> None:
    _ok("seed", "--members", "20", "--communities", "2")
    again = runner.invoke(app, ["seed", "--members", "20", "--communities", "2"])
    assert again.exit_code == 0
    assert "exists already" in again.output
    assert not KEY.findall(again.output)
    reset = _ok("seed", "--members", "30", "--communities", "2", "--reset")
    assert KEY.findall(reset)
    assert len(_handles(db_file)) == 30


def test_export_schema_writes_the_sdl(tmp_path: Path) -> None:
    target = tmp_path / "schema.graphql"
    _ok("export-schema", "--path", str(target))
    assert "type Query" in target.read_text()


def test_the_module_runs_as_the_console_entry_point() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "api.cli", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ("serve", "migrate", "export-schema", "org", "apikey", "seed"):
        assert command in result.stdout
