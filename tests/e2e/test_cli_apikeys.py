"""`townsquare apikey list` and `apikey revoke`: a revoked key stops authenticating."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from test_cli_commands import KEY, _authenticates, _ok, db_file, runner

from api.cli import app
from domain.errors import Unauthenticated

__all__ = ["db_file"]


def make_key(name: str = "ci") -> str:
    output = _ok("apikey", "create", "--org", "acme", "--role", "viewer", "--name", name)
    [key] = KEY.findall(output)
    return key


def test_apikey_list_shows_prefixes_and_roles_but_never_a_secret(db_file: Path) -> None:
    _ok("migrate")
    _ok("org", "create", "acme", "--name", "Acme")
    key = make_key("dashboards")
    output = _ok("apikey", "list", "--org", "acme")
    assert key[:12] in output
    assert "dashboards" in output
    assert "viewer" in output
    assert key not in output


def test_apikey_revoke_by_prefix_stops_the_key_and_is_audited(db_file: Path) -> None:
    _ok("migrate")
    _ok("org", "create", "acme", "--name", "Acme")
    key = make_key()
    assert _authenticates(db_file, key)[1] == "viewer"
    output = _ok("apikey", "revoke", "--org", "acme", "--prefix", key[:12])
    assert "Revoked" in output
    with pytest.raises(Unauthenticated):
        _authenticates(db_file, key)
    with sqlite3.connect(db_file) as connection:
        audit = connection.execute("SELECT actor, action, target_type FROM audit_entry").fetchall()
    assert audit == [("cli", "apiKeyRevoke", "ApiKey")]
    again = runner.invoke(app, ["apikey", "revoke", "--org", "acme", "--prefix", key[:12]])
    assert again.exit_code == 1
    assert "revoked already" in again.output


def test_apikey_revoke_needs_exactly_one_of_id_or_prefix(db_file: Path) -> None:
    _ok("migrate")
    result = runner.invoke(app, ["apikey", "revoke", "--org", "acme"])
    assert result.exit_code != 0
