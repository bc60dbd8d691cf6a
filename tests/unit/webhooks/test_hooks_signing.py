"""Webhook signatures: what the sender signs, the receiver verifies; nothing else passes."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.webhooks.signing import SignatureError, new_secret, signature_header, verify

README = Path(__file__).resolve().parents[3] / "README.md"
SECRET = "whsec_test"


def readme_verifier() -> Any:
    """The receiver's snippet from the README, run as a receiver would paste it."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?def verify_townsquare_signature.*?)```", text, re.S)
    assert block is not None, "the README lost its verification snippet"
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)
    return namespace["verify_townsquare_signature"]


@given(body=st.binary(max_size=2000), secret=st.text(min_size=1, max_size=80))
def test_every_signed_body_verifies_with_its_secret(body: bytes, secret: str) -> None:
    header = signature_header(secret, body)
    assert verify(header, body, secret) == int(header.split(",")[0][2:])


@given(body=st.binary(min_size=1, max_size=500), flip=st.integers(min_value=0))
def test_a_changed_body_does_not_verify(body: bytes, flip: int) -> None:
    header = signature_header(SECRET, body)
    index = flip % len(body)
    tampered = body[:index] + bytes([body[index] ^ 1]) + body[index + 1 :]
    with pytest.raises(SignatureError):
        verify(header, tampered, SECRET)


def test_another_secret_does_not_verify() -> None:
    header = signature_header(new_secret(), b"{}")
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(header, b"{}", new_secret())


def test_a_signature_older_than_the_tolerance_is_a_replay() -> None:
    old = int(time.time()) - 301
    header = signature_header(SECRET, b"{}", timestamp=old)
    with pytest.raises(SignatureError, match="tolerance"):
        verify(header, b"{}", SECRET)
    assert verify(header, b"{}", SECRET, tolerance=400) == old


@pytest.mark.parametrize(
    "header", ["", "v1=abc", "t=123", "t=abc,v1=00", "t=²,v1=00", "garbage", "t=1,v0=00"]
)
def test_a_malformed_header_is_refused(header: str) -> None:
    with pytest.raises(SignatureError):
        verify(header, b"{}", SECRET)


def test_the_readme_snippet_accepts_our_signatures_and_refuses_tampering_and_replays() -> None:
    check = readme_verifier()
    body = b'{"event":"content.published"}'
    assert check(signature_header(SECRET, body), body, SECRET)
    assert not check(signature_header(SECRET, body), body + b" ", SECRET)
    assert not check(signature_header("whsec_other", body), body, SECRET)
    stale = signature_header(SECRET, body, timestamp=int(time.time()) - 600)
    assert not check(stale, body, SECRET)
    assert not check("t=x,v1=00", body, SECRET)


def test_secrets_are_long_and_never_repeat() -> None:
    secrets = {new_secret() for _ in range(100)}
    assert len(secrets) == 100
    assert all(s.startswith("whsec_") and len(s) >= 40 for s in secrets)
