"""Records refuse malformed values where they are made."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from store_support import NOW

from tenancy.store import (
    BrainSnapshot,
    Domain,
    InvalidRecord,
    LoginCode,
    Member,
    RevokedToken,
    User,
    Workspace,
    check_key,
    email_key,
)


@given(st.from_regex(r"[A-Za-z0-9_-]{1,48}", fullmatch=True))
def test_every_safe_key_is_accepted(key: str) -> None:
    assert check_key(key, "id") == key


@given(st.text(max_size=60).filter(lambda s: not s or len(s) > 48 or not all(
    c.isascii() and (c.isalnum() or c in "_-") for c in s)))
def test_every_unsafe_key_is_refused_naming_the_field(key: str) -> None:
    with pytest.raises(InvalidRecord, match="workspace id"):
        check_key(key, "workspace id")


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(InvalidRecord, match="timezone-aware"):
        User(id="u1", email="a@example.com", created_at=datetime(2026, 1, 1))


def test_email_keys_ignore_case_and_surrounding_space() -> None:
    assert email_key("  Ada@Example.COM ") == email_key("ada@example.com")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Member("m1", "w1", "owner", "human", NOW),
        lambda: Member("m1", "w1", "owner", "human", NOW, user_id="u1", brain_id="b1"),
        lambda: Member("m1", "w1", "member", "digital", NOW),
        lambda: Member("m1", "w1", "member", "digital", NOW, user_id="u1", brain_id="b1"),
        lambda: Member("m1", "w1", "king", "human", NOW, user_id="u1"),  # type: ignore[arg-type]
        lambda: Member("m1", "w1", "member", "robot", NOW, user_id="u1"),  # type: ignore[arg-type]
    ],
)
def test_member_shapes_outside_the_three_kinds_are_refused(build: object) -> None:
    with pytest.raises(InvalidRecord):
        build()  # type: ignore[operator]


def test_a_member_without_a_user_is_pending() -> None:
    assert Member("m1", "w1", "member", "human", NOW, email="a@example.com").pending
    assert not Member("m1", "w1", "member", "human", NOW, user_id="u1").pending


@pytest.mark.parametrize(
    "build",
    [
        lambda: Workspace("w1", "", "Name", NOW),
        lambda: Workspace("w1", "s" * 65, "Name", NOW),
        lambda: Workspace("w1", "slug", "", NOW),
        lambda: Domain("Upper.example", "w1", NOW),
        lambda: LoginCode("not-an-email", b"h", NOW, NOW),
        lambda: LoginCode("a@example.com", b"", NOW, NOW),
        lambda: LoginCode("a@example.com", b"h", NOW, NOW, attempts=-1),
        lambda: RevokedToken("", NOW),
        lambda: BrainSnapshot("b1", b"", -1, NOW),
        lambda: User("u1", "a@example.com", "now"),  # type: ignore[arg-type]
    ],
)
def test_out_of_range_fields_are_refused(build: object) -> None:
    with pytest.raises(InvalidRecord):
        build()  # type: ignore[operator]
