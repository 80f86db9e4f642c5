"""Login codes: format, digests, address normalisation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenancy.auth.codes import (
    CodePolicy,
    check_code_format,
    code_digest,
    new_code,
    normalize_email,
)
from tenancy.errors import InvalidInputError

KEY = b"k" * 32


def test_codes_are_six_digits() -> None:
    for _ in range(200):
        code = new_code()
        assert len(code) == 6 and code.isdigit()


def test_codes_vary() -> None:
    assert len({new_code() for _ in range(50)}) > 40


def test_digest_depends_on_key_address_and_code() -> None:
    base = code_digest(KEY, "a@example.org", "123456")
    assert base != code_digest(b"j" * 32, "a@example.org", "123456")
    assert base != code_digest(KEY, "b@example.org", "123456")
    assert base != code_digest(KEY, "a@example.org", "123457")
    assert b"123456" not in base


def test_digests_are_deterministic_32_byte_macs() -> None:
    digest = code_digest(KEY, "a@example.org", "000001")
    assert digest == code_digest(KEY, "a@example.org", "000001") and len(digest) == 32


def test_addresses_are_trimmed_and_lowercased() -> None:
    assert normalize_email("  Ada@Example.ORG ") == "ada@example.org"


@pytest.mark.parametrize(
    "bad",
    ["", "ada", "ada@", "@example.org", "a b@example.org", "ada@example", "x" * 250 + "@e.org"],
)
def test_non_addresses_name_the_field(bad: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_email(bad)
    assert "email" in info.value.fields


@given(st.text(max_size=12))
def test_code_format_accepts_exactly_six_digits(text: str) -> None:
    stripped = text.strip()
    ok = len(stripped) == 6 and all(c in "0123456789" for c in stripped)
    if ok:
        assert check_code_format(text) == stripped
    else:
        with pytest.raises(InvalidInputError):
            check_code_format(text)


def test_policy_defaults_follow_the_agreed_anchors() -> None:
    policy = CodePolicy()
    assert (policy.ttl_s, policy.max_attempts, policy.resend_gap_s) == (600.0, 5, 60.0)


def test_policy_rejects_zero_attempts() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        CodePolicy(max_attempts=0)
