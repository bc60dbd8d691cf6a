"""The documents the load test and the API benchmark send are valid against the schema."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import parse, validate

from api.schema import schema

ROOT = Path(__file__).resolve().parents[3]


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_documents_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Dataclasses look their module up by name while the module runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _documents() -> list[tuple[str, str]]:
    operations = _module(ROOT / "loadtests" / "operations.py")
    found = [(n, v) for n, v in vars(operations).items() if n.isupper() and isinstance(v, str)]
    # benchmarks/api.py puts its folder on sys.path too; all of it must go again, or
    # `import simulator` in a spawned worker later finds benchmarks/simulator.py first.
    saved = list(sys.path)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        bench = _module(ROOT / "benchmarks" / "api.py")
    finally:
        sys.path[:] = saved
    found += [(f"bench {n}", getattr(bench, n)) for n in ("DASHBOARD", "INBOX", "THREAD", "INGEST")]
    return found


@pytest.mark.parametrize(("name", "document"), _documents(), ids=lambda value: value[:20])
def test_every_load_test_and_benchmark_document_validates_against_the_schema(
    name: str, document: str
) -> None:
    errors = validate(schema._schema, parse(document))
    assert errors == [], f"{name}: {[e.message for e in errors]}"
