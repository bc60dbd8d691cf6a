"""Keyset cursors: opaque, round-tripping, and refused cleanly when forged."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import ValidationFailed
from domain.pagination import MAX_PAGE_SIZE, PageRequest, decode_cursor, encode_cursor

texts = st.text(alphabet=st.characters(exclude_categories=("Cs",)))
int64 = st.integers(-(2**63), 2**63 - 1)
aware = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
)
values = st.lists(st.one_of(int64, texts, aware), max_size=4)


def _assert_invalid_cursor(cursor: str, field: str = "after") -> None:
    with pytest.raises(ValidationFailed) as raised:
        decode_cursor(cursor, field)
    [problem] = raised.value.problems
    assert problem.code == "INVALID_CURSOR"
    assert problem.field == (field,)


@given(values)
def test_a_cursor_decodes_to_the_values_it_was_made_from(row: list[object]) -> None:
    assert decode_cursor(encode_cursor(row)) == row


@given(st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7))])))
def test_a_datetime_comes_back_as_the_same_instant_in_utc(moment: datetime) -> None:
    [decoded] = decode_cursor(encode_cursor([moment]))
    assert decoded == moment
    assert decoded.utcoffset() == timedelta(0)


@given(values)
def test_cursors_are_url_safe_and_unpadded(row: list[object]) -> None:
    cursor = encode_cursor(row)
    assert "=" not in cursor
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _outcome(cursor: str) -> object:
    """The decoded list, or the codes of the ValidationFailed; anything else propagates."""
    try:
        return decode_cursor(cursor, "before")
    except ValidationFailed as error:
        return [p.code for p in error.problems]


@given(st.text())
def test_garbage_cursors_decode_to_a_list_or_raise_invalid_cursor_only(garbage: str) -> None:
    outcome = _outcome(garbage)
    assert isinstance(outcome, list)
    if outcome and outcome[0] == "INVALID_CURSOR":
        assert outcome == ["INVALID_CURSOR"]


@given(st.binary())
def test_base64_of_random_bytes_never_raises_anything_but_invalid_cursor(raw: bytes) -> None:
    assert isinstance(_outcome(base64.urlsafe_b64encode(raw).decode()), list)


@pytest.mark.parametrize(
    "payload",
    [b"{}", b'"text"', b"12", b'[{"t": "not a date"}]', b'[{"t": 5}]', b"[1,", b"\xff\xfe"],
)
def test_well_encoded_but_meaningless_payloads_are_invalid_cursors(payload: bytes) -> None:
    _assert_invalid_cursor(base64.urlsafe_b64encode(payload).decode().rstrip("="))


def test_a_cursor_with_characters_outside_base64_is_an_invalid_cursor() -> None:
    _assert_invalid_cursor("\ud800not-a-cursor")


def test_a_page_request_checks_its_cursors_and_sizes_up_front() -> None:
    with pytest.raises(ValidationFailed) as raised:
        PageRequest(first=1, after="%%%").validated()
    assert raised.value.problems[0].code == "INVALID_CURSOR"
    with pytest.raises(ValidationFailed) as too_big:
        PageRequest(first=MAX_PAGE_SIZE + 1).validated()
    assert too_big.value.problems[0].code == "OUT_OF_RANGE"
    with pytest.raises(ValidationFailed):
        PageRequest(first=1, last=1).validated()
    with pytest.raises(ValidationFailed):
        PageRequest(last=-1).validated()


def test_backward_paging_is_chosen_by_last_or_a_lone_before() -> None:
    assert PageRequest(last=3).backward
    assert PageRequest(before=encode_cursor([1])).backward
    assert not PageRequest(first=3, before=encode_cursor([1])).backward
    assert PageRequest().size == 20
