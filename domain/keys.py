"""API keys: 160 random bits, a recognisable prefix, a checksum, and only a hash at rest."""

from __future__ import annotations

import base64
import hashlib
import secrets
import zlib

KEY_PREFIX = "tsq_"
_RANDOM_BYTES = 20
_CHECKSUM_CHARS = 6


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode().rstrip("=").lower()


def _checksum(body: str) -> str:
    return _b32(zlib.crc32(body.encode()).to_bytes(4, "big"))[:_CHECKSUM_CHARS]


def generate_key() -> str:
    """A new key such as `tsq_<32 base32 chars><6 checksum chars>`."""
    body = KEY_PREFIX + _b32(secrets.token_bytes(_RANDOM_BYTES))
    return body + _checksum(body)


def well_formed(key: str) -> bool:
    """Cheap check before any database work: prefix, length and checksum."""
    if not key.startswith(KEY_PREFIX) or len(key) != len(KEY_PREFIX) + 32 + _CHECKSUM_CHARS:
        return False
    # Keys are ASCII; anything else would make compare_digest (and encode) raise, not refuse.
    if not key.isascii():
        return False
    body, check = key[:-_CHECKSUM_CHARS], key[-_CHECKSUM_CHARS:]
    return secrets.compare_digest(_checksum(body), check)


def hash_key(key: str) -> str:
    # The key holds 160 random bits, so a fast hash is enough; a slow KDF protects weak secrets.
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    return key[: len(KEY_PREFIX) + 8]
