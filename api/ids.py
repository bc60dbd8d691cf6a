"""Opaque global ids: Strawberry's `base64("Type:id")`, decoded strictly.

Strawberry's relay encodes every `Node` id this way; this module is the one place that reads
such ids back from clients. Decoding is strict so that each object has exactly one id and a
malformed, foreign or mistyped id can only ever mean "not found".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Collection

from strawberry.relay import to_base64

# Row ids are positive 64-bit integers on PostgreSQL; anything larger cannot exist and
# would make the driver fail instead of finding nothing.
MAX_ROW_ID = 2**63 - 1
_DIGITS = re.compile(r"[1-9][0-9]{0,18}")
MAX_ID_LENGTH = 200


def encode_id(type_name: str, row_id: int) -> str:
    """The global id of row `row_id` of GraphQL type `type_name`."""
    return to_base64(type_name, row_id)


def decode_id(value: object) -> tuple[str, int] | None:
    """`(type name, row id)` of a global id, or None when it is not one this API gave out."""
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH:
        return None
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
        text = raw.decode("utf-8")
    except (UnicodeError, binascii.Error, ValueError):
        return None
    # Only the canonical spelling is accepted, so one object never has two ids.
    if base64.b64encode(raw).decode("ascii") != value:
        return None
    type_name, sep, digits = text.partition(":")
    if not sep or not type_name or not _DIGITS.fullmatch(digits):
        return None
    row_id = int(digits)
    if row_id > MAX_ROW_ID:
        return None
    return type_name, row_id


def decode_id_of(value: object, types: Collection[str]) -> int | None:
    """The row id of a global id whose type is one of `types`, or None."""
    decoded = decode_id(value)
    if decoded is None or decoded[0] not in types:
        return None
    return decoded[1]
