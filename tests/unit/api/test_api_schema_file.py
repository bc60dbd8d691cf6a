"""The committed `schema.graphql` is the schema the code exports."""

from __future__ import annotations

from pathlib import Path

from api.schema import export_schema, schema_text

SCHEMA_FILE = Path(__file__).resolve().parents[3] / "schema.graphql"
REGENERATE = "townsquare export-schema"


def test_the_committed_schema_file_matches_the_exported_schema() -> None:
    assert SCHEMA_FILE.exists(), f"schema.graphql is missing; run `{REGENERATE}`"
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == schema_text(), (
        f"schema.graphql differs from the schema in the code; run `{REGENERATE}` and commit it"
    )


def test_export_schema_writes_what_the_check_compares(tmp_path: Path) -> None:
    written = export_schema(tmp_path / "schema.graphql")
    assert written.read_text(encoding="utf-8") == schema_text()
    assert "type Query" in schema_text()
    assert "interface Node" in schema_text()
