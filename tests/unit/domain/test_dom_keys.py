"""API keys: their format, checksum and hash."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from domain.keys import KEY_PREFIX, display_prefix, generate_key, hash_key, well_formed

KEY = generate_key()


def test_a_generated_key_is_well_formed_and_carries_the_prefix() -> None:
    key = generate_key()
    assert key.startswith(KEY_PREFIX)
    assert len(key) == len(KEY_PREFIX) + 32 + 6
    assert well_formed(key)


def test_two_generated_keys_differ() -> None:
    assert generate_key() != generate_key()


def test_the_hash_is_stable_and_differs_between_keys() -> None:
    other = generate_key()
    assert hash_key(KEY) == hash_key(KEY)
    assert hash_key(KEY) != hash_key(other)
    assert KEY not in hash_key(KEY)


def test_the_display_prefix_reveals_only_the_start_of_the_key() -> None:
    assert display_prefix(KEY) == KEY[:12]


def test_keys_of_the_wrong_length_or_prefix_are_not_well_formed() -> None:
    assert not well_formed("")
    assert not well_formed(KEY[:-1])
    assert not well_formed(KEY + "a")
    assert not well_formed("abc_" + KEY[4:])


@given(position=st.integers(0, len(KEY) - 1), replacement=st.characters())
def test_any_single_character_change_breaks_the_checksum_or_format(
    position: int, replacement: str
) -> None:
    if replacement == KEY[position]:
        return
    changed = KEY[:position] + replacement + KEY[position + 1 :]
    assert not well_formed(changed)
