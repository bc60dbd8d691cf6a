"""Global ids: what Strawberry encodes decodes back, and nothing else decodes at all."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.ids import MAX_ROW_ID, decode_id, decode_id_of, encode_id


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@given(
    type_name=st.sampled_from(["Community", "Member", "Content", "Topic"]),
    row_id=st.integers(min_value=1, max_value=MAX_ROW_ID),
)
def test_every_encoded_id_decodes_to_its_type_and_row(type_name: str, row_id: int) -> None:
    assert decode_id(encode_id(type_name, row_id)) == (type_name, row_id)


def test_an_id_is_opaque_and_not_the_bare_number() -> None:
    encoded = encode_id("Community", 42)
    assert "42" not in encoded
    assert "Community" not in encoded


@pytest.mark.parametrize(
    "value",
    [
        "",
        "not base64!",
        b64("Community"),  # no separator
        b64("Community:"),  # no row id
        b64(":12"),  # no type
        b64("Community:0"),  # row ids start at 1
        b64("Community:-3"),
        b64("Community:+3"),
        b64("Community: 3"),
        b64("Community:03"),  # leading zero: a second spelling of row 3
        b64("Community:1_000"),  # int() would accept this
        b64("Community:3.0"),
        b64("Community:٣"),  # an Arabic-Indic digit: int() would accept this too
        b64(f"Community:{MAX_ROW_ID + 1}"),  # beyond BIGINT: the driver would fail
        b64("Community:" + "9" * 40),
        base64.b64encode(b"\xff\xfe:1").decode(),  # not UTF-8
        b64("Community:3").rstrip("="),  # unpadded: not the canonical spelling
        b64("Community:3") + "\n",
        " " + b64("Community:3"),
        "A" * 10_000,
    ],
)
def test_anything_but_a_canonical_id_decodes_to_none(value: str) -> None:
    assert decode_id(value) is None


@pytest.mark.parametrize("value", [None, 12, 3.5, b"Q29tbXVuaXR5OjE=", ["x"]])
def test_non_strings_decode_to_none(value: object) -> None:
    assert decode_id(value) is None


def test_an_id_of_another_type_is_not_accepted_where_one_type_is_expected() -> None:
    member = encode_id("Member", 7)
    assert decode_id_of(member, {"Member"}) == 7
    assert decode_id_of(member, {"Community"}) is None


def test_the_largest_row_id_still_decodes() -> None:
    assert decode_id(encode_id("Member", MAX_ROW_ID)) == ("Member", MAX_ROW_ID)
