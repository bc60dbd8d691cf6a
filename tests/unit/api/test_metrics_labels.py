"""Operation-name labels stay few and safe whatever clients send."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api import observability as metrics
from api.observability import ANONYMOUS, MAX_OPERATION_NAMES, OTHER, operation_label


def test_a_named_operation_is_labelled_by_its_name() -> None:
    assert operation_label("CommunityList") == "CommunityList"


def test_a_missing_name_is_read_from_the_document_or_called_anonymous() -> None:
    assert operation_label(None, "  query ThreadView($id: ID!) { node(id: $id) { id } }") == (
        "ThreadView"
    )
    assert operation_label(None, "{ viewer { role } }") == ANONYMOUS


@given(st.text(max_size=200))
def test_any_text_becomes_a_short_identifier_or_other(name: str) -> None:
    label = operation_label(name)
    assert label in (OTHER, ANONYMOUS) or (label == name and len(label) <= 64)
    assert all(c.isalnum() or c == "_" for c in label)


def test_past_the_bound_new_names_are_counted_as_other(monkeypatch: object) -> None:
    saved = set(metrics._seen)
    try:
        metrics._seen.clear()
        for i in range(MAX_OPERATION_NAMES):
            assert operation_label(f"Op{i}") == f"Op{i}"
        assert operation_label("OneTooMany") == OTHER
        assert operation_label("Op3") == "Op3"
    finally:
        metrics._seen.clear()
        metrics._seen.update(saved)
