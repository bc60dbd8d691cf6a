"""Parsing and validation run once per distinct document; refused documents stay refused."""

from __future__ import annotations

from typing import Any

import pytest

from api import documents
from api.schema import build_schema
from api.settings import TrustSettings


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = documents.validate_document

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        calls.append("validate")
        return real(schema, document, rules)

    monkeypatch.setattr(documents, "validate_document", counting)
    return calls


async def test_the_same_document_is_validated_once(validations: list[str]) -> None:
    schema = build_schema(TrustSettings())
    for _ in range(3):
        result = await schema.execute("{ __typename }")
        assert result.errors is None
    assert validations == ["validate"]


def deep(levels: int) -> str:
    inner = "id"
    for _ in range(levels):
        inner = f"replies(first: 1) {{ nodes {{ {inner} }} }}"
    return (
        f"{{ communities(first: 1) {{ nodes {{ content(first: 1) {{ nodes {{ {inner} }} }} }} }} }}"
    )


async def test_a_document_refused_by_a_limit_is_refused_every_time(
    validations: list[str],
) -> None:
    schema = build_schema(TrustSettings())
    messages = []
    for _ in range(2):
        result = await schema.execute(deep(6))
        assert result.errors
        messages.append(result.errors[0].message)
    assert "depth" in messages[0]
    assert messages[0] == messages[1]
    assert validations == ["validate"]


async def test_a_document_that_does_not_parse_keeps_its_code_every_time() -> None:
    schema = build_schema(TrustSettings())
    for _ in range(2):
        result = await schema.execute("{ viewer { ")
        assert result.errors
        assert result.errors[0].message.startswith("Syntax Error")
