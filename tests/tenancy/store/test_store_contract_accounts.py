"""Contract: users, login codes, sessions, revoked tokens — identical on every adapter."""

from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

import pytest
from store_support import NOW

from tenancy.store import (
    CodeOutcome,
    Conflict,
    InvalidRecord,
    LoginCode,
    NotFound,
    RevokedToken,
    RotationOutcome,
    Session,
    Store,
    User,
)

MINUTE = timedelta(minutes=1)


def user(n: int, email: str | None = None) -> User:
    return User(id=f"u{n}", email=email or f"user{n}@example.com", created_at=NOW)


def code(email: str, secret: bytes = b"hmac-1", *, at: timedelta = timedelta(0)) -> LoginCode:
    return LoginCode(
        email=email, code_hmac=secret, created_at=NOW + at, expires_at=NOW + at + 10 * MINUTE
    )


def session(n: int, *, family: str = "f1", user_id: str = "u1") -> Session:
    return Session(
        id=f"s{n}", user_id=user_id, family_id=family, token_hash=f"hash-{n}".encode(),
        created_at=NOW, expires_at=NOW + timedelta(days=7),
    )


# ---------------------------------------------------------------- users


async def test_a_created_user_is_found_by_id_and_by_email_in_any_case(store: Store) -> None:
    await store.users.create(user(1, "Ada@Example.COM"))

    assert await store.users.get("u1") == user(1, "Ada@Example.COM")
    assert await store.users.get_by_email("ada@example.com") == user(1, "Ada@Example.COM")
    assert await store.users.get("nobody") is None


async def test_timestamps_round_trip_exactly_as_the_same_instant(store: Store) -> None:
    eastern = NOW.astimezone(timezone(timedelta(hours=-5)))
    await store.users.create(User(id="u1", email="a@example.com", created_at=eastern))

    found = await store.users.get("u1")
    assert found is not None
    assert found.created_at == NOW
    assert found.created_at.microsecond == 123456


async def test_an_email_differing_only_in_case_conflicts_on_email(store: Store) -> None:
    await store.users.create(user(1, "ada@example.com"))

    with pytest.raises(Conflict) as caught:
        await store.users.create(user(2, "ADA@example.com"))
    assert caught.value.field == "email"


async def test_a_reused_user_id_conflicts_on_id(store: Store) -> None:
    await store.users.create(user(1))

    with pytest.raises(Conflict) as caught:
        await store.users.create(user(1, "other@example.com"))
    assert caught.value.field == "id"


async def test_concurrent_registrations_of_one_email_create_one_user(store: Store) -> None:
    results = await asyncio.gather(
        *(store.users.get_or_create(user(n, "same@example.com")) for n in range(8))
    )

    created = [u for u, was_created in results if was_created]
    assert len(created) == 1
    assert {u.id for u, _ in results} == {created[0].id}


async def test_updating_the_display_name_returns_the_updated_user(store: Store) -> None:
    await store.users.create(user(1))

    updated = await store.users.update("u1", display_name="Ada")

    assert updated.display_name == "Ada"
    assert await store.users.get("u1") == updated


async def test_updating_a_missing_user_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.users.update("ghost", display_name="x")


# ---------------------------------------------------------------- login codes


async def test_an_issued_code_is_the_latest_code_of_its_email(store: Store) -> None:
    assert await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE) is None

    assert await store.login_codes.get("A@example.com") == code("a@example.com")


async def test_issuing_again_within_the_interval_stores_nothing_and_says_when(
    store: Store,
) -> None:
    await store.login_codes.issue(code("a@example.com", b"first"), min_interval=MINUTE)

    retry_at = await store.login_codes.issue(
        code("a@example.com", b"second", at=timedelta(seconds=20)), min_interval=MINUTE
    )

    assert retry_at == NOW + MINUTE
    stored = await store.login_codes.get("a@example.com")
    assert stored is not None and stored.code_hmac == b"first"


async def test_a_new_code_after_the_interval_replaces_the_old_one(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com", b"first"), min_interval=MINUTE)
    await store.login_codes.issue(
        code("a@example.com", b"second", at=MINUTE), min_interval=MINUTE
    )

    old = await store.login_codes.check("a@example.com", b"first", now=NOW + MINUTE,
                                        max_attempts=5)
    new = await store.login_codes.check("a@example.com", b"second", now=NOW + MINUTE,
                                        max_attempts=5)

    assert old.outcome is CodeOutcome.MISMATCH
    assert new.outcome is CodeOutcome.ACCEPTED


async def test_concurrent_issues_store_exactly_one_code(store: Store) -> None:
    results = await asyncio.gather(
        *(
            store.login_codes.issue(code("a@example.com", bytes([n + 1])), min_interval=MINUTE)
            for n in range(6)
        )
    )

    assert sum(r is None for r in results) == 1


async def test_a_correct_code_is_accepted_once(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE)

    first = await store.login_codes.check("a@example.com", b"hmac-1", now=NOW, max_attempts=5)
    second = await store.login_codes.check("a@example.com", b"hmac-1", now=NOW, max_attempts=5)

    assert first.outcome is CodeOutcome.ACCEPTED
    assert second.outcome is CodeOutcome.MISSING


async def test_of_two_concurrent_correct_checks_exactly_one_is_accepted(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE)

    results = await asyncio.gather(
        *(
            store.login_codes.check("a@example.com", b"hmac-1", now=NOW, max_attempts=5)
            for _ in range(2)
        )
    )

    assert sorted(r.outcome.value for r in results) == ["accepted", "missing"]


async def test_wrong_codes_count_attempts_then_kill_the_code(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE)
    check = store.login_codes.check

    first = await check("a@example.com", b"wrong", now=NOW, max_attempts=2)
    second = await check("a@example.com", b"wrong", now=NOW, max_attempts=2)
    correct_after = await check("a@example.com", b"hmac-1", now=NOW, max_attempts=2)

    assert (first.outcome, first.attempts) == (CodeOutcome.MISMATCH, 1)
    assert (second.outcome, second.attempts) == (CodeOutcome.EXHAUSTED, 2)
    assert (correct_after.outcome, correct_after.attempts) == (CodeOutcome.EXHAUSTED, 2)


async def test_concurrent_wrong_guesses_never_exceed_the_attempt_budget(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE)

    results = await asyncio.gather(
        *(
            store.login_codes.check("a@example.com", b"wrong", now=NOW, max_attempts=3)
            for _ in range(7)
        )
    )

    stored = await store.login_codes.get("a@example.com")
    assert stored is not None and stored.attempts == 3
    assert sum(r.outcome is CodeOutcome.MISMATCH for r in results) == 2
    assert sum(r.outcome is CodeOutcome.EXHAUSTED for r in results) == 5


async def test_an_expired_code_is_refused_without_counting_an_attempt(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE)

    result = await store.login_codes.check(
        "a@example.com", b"hmac-1", now=NOW + 10 * MINUTE, max_attempts=5
    )

    assert (result.outcome, result.attempts) == (CodeOutcome.EXPIRED, 0)


async def test_checking_an_email_without_a_code_reports_missing(store: Store) -> None:
    result = await store.login_codes.check("x@example.com", b"h", now=NOW, max_attempts=5)

    assert result.outcome is CodeOutcome.MISSING


async def test_a_non_positive_attempt_budget_is_rejected(store: Store) -> None:
    with pytest.raises(InvalidRecord, match="max_attempts"):
        await store.login_codes.check("x@example.com", b"h", now=NOW, max_attempts=0)


async def test_purging_removes_only_expired_codes(store: Store) -> None:
    await store.login_codes.issue(code("old@example.com"), min_interval=MINUTE)
    await store.login_codes.issue(code("new@example.com", at=5 * MINUTE), min_interval=MINUTE)

    purged = await store.login_codes.purge_expired(NOW + 10 * MINUTE)

    assert purged == 1
    assert await store.login_codes.get("old@example.com") is None
    assert await store.login_codes.get("new@example.com") is not None


async def test_deleting_a_code_reports_whether_there_was_one(store: Store) -> None:
    await store.login_codes.issue(code("a@example.com"), min_interval=MINUTE)

    assert await store.login_codes.delete("a@example.com") is True
    assert await store.login_codes.delete("a@example.com") is False


# ---------------------------------------------------------------- sessions


async def test_a_session_is_found_by_id_and_by_token_hash(store: Store) -> None:
    await store.sessions.create(session(1))

    assert await store.sessions.get("s1") == session(1)
    assert await store.sessions.get_by_token_hash(b"hash-1") == session(1)


async def test_a_reused_token_hash_conflicts(store: Store) -> None:
    await store.sessions.create(session(1))
    clash = Session(id="s9", user_id="u1", family_id="f1", token_hash=b"hash-1",
                    created_at=NOW, expires_at=NOW + MINUTE)

    with pytest.raises(Conflict) as caught:
        await store.sessions.create(clash)
    assert caught.value.field == "token_hash"


async def test_rotation_links_a_new_session_of_the_same_family(store: Store) -> None:
    await store.sessions.create(session(1))

    rotation = await store.sessions.rotate(
        b"hash-1", new_id="s2", new_token_hash=b"hash-2", now=NOW + MINUTE
    )

    assert rotation.outcome is RotationOutcome.ROTATED
    assert rotation.previous == session(1)
    assert rotation.current is not None
    assert (rotation.current.user_id, rotation.current.family_id) == ("u1", "f1")
    assert rotation.current.expires_at == session(1).expires_at
    assert await store.sessions.get_by_token_hash(b"hash-2") == rotation.current
    old = await store.sessions.get("s1")
    assert old is not None and old.rotated_to == "s2"


async def test_rotation_can_set_a_new_expiry(store: Store) -> None:
    await store.sessions.create(session(1))

    rotation = await store.sessions.rotate(
        b"hash-1", new_id="s2", new_token_hash=b"hash-2", now=NOW, expires_at=NOW + MINUTE
    )

    assert rotation.current is not None and rotation.current.expires_at == NOW + MINUTE


async def test_presenting_a_rotated_token_revokes_the_whole_family(store: Store) -> None:
    await store.sessions.create(session(1))
    await store.sessions.create(session(7, family="other"))
    await store.sessions.rotate(b"hash-1", new_id="s2", new_token_hash=b"hash-2", now=NOW)

    reuse = await store.sessions.rotate(b"hash-1", new_id="s3", new_token_hash=b"hash-3",
                                        now=NOW)
    after = await store.sessions.rotate(b"hash-2", new_id="s4", new_token_hash=b"hash-4",
                                        now=NOW)

    assert reuse.outcome is RotationOutcome.REUSED
    assert after.outcome is RotationOutcome.REVOKED
    successor = await store.sessions.get("s2")
    unrelated = await store.sessions.get("s7")
    assert successor is not None and successor.revoked
    assert unrelated is not None and not unrelated.revoked
    assert await store.sessions.get("s3") is None


async def test_of_two_concurrent_rotations_exactly_one_wins_and_reuse_revokes_the_family(
    store: Store,
) -> None:
    await store.sessions.create(session(1))

    results = await asyncio.gather(
        store.sessions.rotate(b"hash-1", new_id="s2", new_token_hash=b"hash-2", now=NOW),
        store.sessions.rotate(b"hash-1", new_id="s3", new_token_hash=b"hash-3", now=NOW),
    )

    outcomes = sorted(r.outcome.value for r in results)
    assert outcomes == ["reused", "rotated"]
    winner = next(r for r in results if r.outcome is RotationOutcome.ROTATED)
    assert winner.current is not None
    loser_id = "s3" if winner.current.id == "s2" else "s2"
    assert await store.sessions.get(loser_id) is None
    survivor = await store.sessions.get(winner.current.id)
    assert survivor is not None and survivor.revoked


async def test_rotating_an_expired_token_is_refused(store: Store) -> None:
    await store.sessions.create(session(1))

    rotation = await store.sessions.rotate(
        b"hash-1", new_id="s2", new_token_hash=b"hash-2", now=NOW + timedelta(days=7)
    )

    assert rotation.outcome is RotationOutcome.EXPIRED
    assert await store.sessions.get("s2") is None


async def test_rotating_an_unknown_token_reports_unknown(store: Store) -> None:
    rotation = await store.sessions.rotate(b"nope", new_id="s2", new_token_hash=b"h", now=NOW)

    assert rotation.outcome is RotationOutcome.UNKNOWN
    assert rotation.previous is None


async def test_a_revoked_session_cannot_rotate(store: Store) -> None:
    await store.sessions.create(session(1))

    assert await store.sessions.revoke("s1") is True
    assert await store.sessions.revoke("s1") is False
    rotation = await store.sessions.rotate(b"hash-1", new_id="s2", new_token_hash=b"h2",
                                           now=NOW)
    assert rotation.outcome is RotationOutcome.REVOKED


async def test_revoking_a_family_or_a_user_counts_live_sessions(store: Store) -> None:
    await store.sessions.create(session(1, family="f1", user_id="u1"))
    await store.sessions.create(session(2, family="f1", user_id="u1"))
    await store.sessions.create(session(3, family="f2", user_id="u1"))
    await store.sessions.create(session(4, family="f3", user_id="u2"))

    assert await store.sessions.revoke_family("f1") == 2
    assert await store.sessions.revoke_user("u1") == 1
    other = await store.sessions.get("s4")
    assert other is not None and not other.revoked


async def test_purging_sessions_removes_only_expired_ones(store: Store) -> None:
    await store.sessions.create(session(1))
    await store.sessions.create(
        Session(id="s2", user_id="u1", family_id="f1", token_hash=b"h2", created_at=NOW,
                expires_at=NOW + MINUTE)
    )

    assert await store.sessions.purge_expired(NOW + MINUTE) == 1
    assert await store.sessions.get("s1") is not None


# ---------------------------------------------------------------- revoked access tokens


async def test_a_revoked_jti_is_reported_until_purged(store: Store) -> None:
    await store.revoked_tokens.add(RevokedToken("jti-1", NOW + MINUTE))

    assert await store.revoked_tokens.is_revoked("jti-1") is True
    assert await store.revoked_tokens.is_revoked("jti-2") is False
    assert await store.revoked_tokens.purge_expired(NOW + MINUTE) == 1
    assert await store.revoked_tokens.is_revoked("jti-1") is False


async def test_revoking_a_jti_twice_keeps_the_later_expiry(store: Store) -> None:
    await store.revoked_tokens.add(RevokedToken("jti-1", NOW + 5 * MINUTE))
    await store.revoked_tokens.add(RevokedToken("jti-1", NOW + MINUTE))

    assert await store.revoked_tokens.purge_expired(NOW + 2 * MINUTE) == 0
    assert await store.revoked_tokens.is_revoked("jti-1") is True
