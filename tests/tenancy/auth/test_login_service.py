"""AuthService on the real SQLite store and a real SMTP server, with a fake clock."""

from __future__ import annotations

import asyncio
import re
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tenancy_fixtures import FakeClock, Mailbox, SmtpServer, captured_logs, make_codec

from tenancy.auth import AuthService, OutboxCodeMailer, SmtpCodeMailer, SmtpConfig
from tenancy.auth.ratelimit import RateLimit
from tenancy.auth.service import AuthLimits, client_key
from tenancy.errors import (
    InvalidCodeError,
    InvalidInputError,
    MailDeliveryError,
    RateLimitedError,
    RefreshTokenReusedError,
    TokenRevokedError,
    UnauthenticatedError,
)
from tenancy.store import RevokedToken, Store

IP = "198.51.100.7"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_requested_code_is_mailed(auth: AuthService, mailbox: Mailbox, new_email) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    mail = mailbox.to(address)[-1]
    code = mailbox.code_for(address)
    assert code in mail.body and "10 minutes" in mail.body


async def test_only_a_keyed_digest_of_the_code_is_stored(
    auth: AuthService, store: Store, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    code = mailbox.code_for(address)
    record = await store.login_codes.get(address)
    assert record is not None
    assert code.encode() not in record.code_hmac and len(record.code_hmac) == 32


async def test_verify_registers_the_user_and_returns_tokens(
    auth: AuthService, store: Store, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address.upper(), IP)
    result = await auth.verify(address, mailbox.code_for(address), IP)
    assert result.user.email == address
    assert await store.users.get_by_email(address) == result.user
    principal = await auth.authenticate(result.access_token)
    assert principal.user_id == result.user.id and principal.email == address
    assert result.expires_in == 900 and len(result.refresh_token) >= 40


async def test_a_second_login_finds_the_same_user(
    auth: AuthService, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    first = await auth.verify(address, mailbox.code_for(address), IP)
    clock.advance(61)
    await auth.request_code(address, IP)
    second = await auth.verify(address, mailbox.code_for(address), IP)
    assert first.user.id == second.user.id


async def test_a_code_is_single_use(auth: AuthService, mailbox: Mailbox, new_email) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    code = mailbox.code_for(address)
    await auth.verify(address, code, IP)
    with pytest.raises(InvalidCodeError):
        await auth.verify(address, code, IP)


async def test_a_code_expires_after_ten_minutes(
    auth: AuthService, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    clock.advance(600.5)
    with pytest.raises(InvalidCodeError):
        await auth.verify(address, mailbox.code_for(address), IP)


async def test_a_code_is_valid_just_before_expiry(
    auth: AuthService, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    clock.advance(599)
    assert (await auth.verify(address, mailbox.code_for(address), IP)).user.email == address


async def test_five_wrong_tries_kill_the_code(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    code = mailbox.code_for(address)
    for _ in range(5):
        with pytest.raises(InvalidCodeError):
            await auth.verify(address, wrong(code), IP)
    with pytest.raises(InvalidCodeError):
        await auth.verify(address, code, IP)


async def test_four_wrong_tries_leave_the_code_usable(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    code = mailbox.code_for(address)
    for _ in range(4):
        with pytest.raises(InvalidCodeError):
            await auth.verify(address, wrong(code), IP)
    assert (await auth.verify(address, code, IP)).user.email == address


async def test_only_the_latest_code_is_valid(
    auth: AuthService, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    first = mailbox.code_for(address)
    clock.advance(61)
    await auth.request_code(address, IP)
    latest = mailbox.code_for(address)
    if first != latest:
        with pytest.raises(InvalidCodeError):
            await auth.verify(address, first, IP)
    assert (await auth.verify(address, latest, IP)).user.email == address


async def test_a_code_for_one_address_does_not_open_another(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    alice, mallory = new_email("alice"), new_email("mallory")
    await auth.request_code(alice, IP)
    await auth.request_code(mallory, IP)
    with pytest.raises(InvalidCodeError):
        await auth.verify(alice, mailbox.code_for(mallory), IP)


async def test_sends_to_one_address_are_spaced_by_sixty_seconds(
    auth: AuthService, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    clock.advance(20)
    with pytest.raises(RateLimitedError) as info:
        await auth.request_code(address, IP)
    assert info.value.retry_after_s == pytest.approx(40, abs=1)
    clock.advance(40)
    await auth.request_code(address, IP)


async def test_codes_per_address_are_rate_limited(
    auth: AuthService, clock: FakeClock, new_email
) -> None:
    address = new_email()
    for _ in range(auth.limits.codes_per_email.capacity):
        await auth.request_code(address, IP)
        clock.advance(61)
    with pytest.raises(RateLimitedError) as info:
        await auth.request_code(address, IP)
    assert info.value.retry_after_s > 60


async def test_codes_per_client_ip_are_rate_limited(auth: AuthService, new_email) -> None:
    for _ in range(auth.limits.codes_per_ip.capacity):
        await auth.request_code(new_email(), IP)
    with pytest.raises(RateLimitedError):
        await auth.request_code(new_email(), IP)
    await auth.request_code(new_email(), "203.0.113.9")


async def test_verifies_per_client_ip_are_rate_limited(
    store: Store, auth: AuthService, clock: FakeClock, mailbox: Mailbox, new_email
) -> None:
    tight = AuthService(
        store,
        auth.codec,
        auth.mailer,
        code_key=b"c" * 32,
        clock=clock,
        monotonic=clock,
        limits=AuthLimits(verifies_per_ip=RateLimit(2, 60.0)),
    )
    address = new_email()
    await tight.request_code(address, IP)
    for _ in range(2):
        with pytest.raises(InvalidCodeError):
            await tight.verify(address, wrong(mailbox.code_for(address)), IP)
    with pytest.raises(RateLimitedError):
        await tight.verify(address, mailbox.code_for(address), IP)


async def test_bad_addresses_and_codes_are_input_errors(auth: AuthService) -> None:
    with pytest.raises(InvalidInputError):
        await auth.request_code("not-an-address", IP)
    with pytest.raises(InvalidInputError):
        await auth.verify("a@example.org", "12ab56", IP)


async def test_two_concurrent_verifies_of_one_code_have_one_winner(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    code = mailbox.code_for(address)
    results = await asyncio.gather(
        *(auth.verify(address, code, IP) for _ in range(2)), return_exceptions=True
    )
    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert len(losers) == 1 and isinstance(losers[0], InvalidCodeError)


async def test_refresh_rotates_the_refresh_token(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    rotated = await auth.refresh(login.refresh_token, IP)
    assert rotated.refresh_token != login.refresh_token
    assert (await auth.authenticate(rotated.access_token)).user_id == login.user.id
    again = await auth.refresh(rotated.refresh_token, IP)
    assert again.user.id == login.user.id


async def test_reusing_a_rotated_refresh_token_revokes_the_family(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    rotated = await auth.refresh(login.refresh_token, IP)
    with pytest.raises(RefreshTokenReusedError):
        await auth.refresh(login.refresh_token, IP)
    with pytest.raises(UnauthenticatedError):
        await auth.refresh(rotated.refresh_token, IP)
    for token in (login.access_token, rotated.access_token):
        with pytest.raises(TokenRevokedError):
            await auth.authenticate(token)


async def test_two_logins_are_separate_families(
    auth: AuthService, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    laptop = await auth.verify(address, mailbox.code_for(address), IP)
    clock.advance(61)
    await auth.request_code(address, IP)
    phone = await auth.verify(address, mailbox.code_for(address), IP)
    await auth.refresh(laptop.refresh_token, IP)
    with pytest.raises(RefreshTokenReusedError):
        await auth.refresh(laptop.refresh_token, IP)
    assert (await auth.authenticate(phone.access_token)).user_id == phone.user.id
    assert (await auth.refresh(phone.refresh_token, IP)).user.id == phone.user.id


async def test_an_unknown_refresh_token_is_unauthenticated(auth: AuthService) -> None:
    with pytest.raises(UnauthenticatedError):
        await auth.refresh("x" * 43, IP)


async def test_a_session_ends_after_its_lifetime(
    auth: AuthService, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    clock.advance(7 * 86_400 + 1)
    with pytest.raises(UnauthenticatedError):
        await auth.refresh(login.refresh_token, IP)


async def test_logout_revokes_the_access_and_refresh_tokens(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    principal = await auth.authenticate(login.access_token)
    await auth.logout(principal)
    with pytest.raises(TokenRevokedError):
        await auth.authenticate(login.access_token)
    with pytest.raises(UnauthenticatedError):
        await auth.refresh(login.refresh_token, IP)


async def test_an_undeliverable_code_can_be_requested_again_at_once(
    store: Store, clock: FakeClock, new_email
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead_port = sock.getsockname()[1]
    broken = AuthService(
        store,
        make_codec(),
        SmtpCodeMailer(SmtpConfig(host="127.0.0.1", port=dead_port, starttls=False, timeout_s=2)),
        code_key=b"c" * 32,
        clock=clock,
        monotonic=clock,
    )
    address = new_email()
    with pytest.raises(MailDeliveryError):
        await broken.request_code(address, IP)
    assert await store.login_codes.get(address) is None
    with pytest.raises(MailDeliveryError):
        await broken.request_code(address, IP)


async def test_with_smtp_configured_no_log_line_carries_the_code(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    with captured_logs() as lines:
        await auth.request_code(address, IP)
        code = mailbox.code_for(address)
        for _ in range(2):
            with pytest.raises(InvalidCodeError):
                await auth.verify(address, wrong(code), IP)
        await auth.verify(address, code, IP)
    assert lines, "nothing was captured: the capture itself is broken"
    assert not [line for line in lines if code in line]


async def test_without_smtp_the_code_goes_to_the_log_and_the_outbox(
    store: Store, clock: FakeClock, tmp_path: Path, new_email
) -> None:
    outbox = tmp_path / "outbox"
    local = AuthService(
        store,
        make_codec(),
        OutboxCodeMailer(outbox),
        code_key=b"c" * 32,
        clock=clock,
        monotonic=clock,
    )
    address = new_email()
    with captured_logs() as lines:
        await local.request_code(address, IP)
    files = list(outbox.iterdir())
    assert len(files) == 1 and files[0].name.endswith(f"-{address}.eml")
    text = files[0].read_text()
    code = re.search(r"login code: (\d{6})", text)
    assert code is not None
    assert any(code.group(1) in line for line in lines)
    assert (await local.verify(address, code.group(1), IP)).user.email == address


async def test_revoking_one_jti_rejects_exactly_that_token(
    auth: AuthService, store: Store, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    other = await auth.refresh(login.refresh_token, IP)
    await store.revoked_tokens.add(
        RevokedToken(_jti(auth, login.access_token), datetime.now(UTC) + timedelta(hours=1))
    )
    with pytest.raises(TokenRevokedError):
        await auth.authenticate(login.access_token)
    assert (await auth.authenticate(other.access_token)).user_id == login.user.id


def _jti(auth: AuthService, token: str) -> str:
    return auth.decode(token).jti


async def _revoked_elsewhere(store: Store, jti: str) -> None:
    """A revocation written straight to the store, as another process would."""
    await store.revoked_tokens.add(RevokedToken(jti, datetime.now(UTC) + timedelta(hours=1)))


async def test_a_revocation_by_another_process_applies_within_the_cache_ttl(
    auth: AuthService, store: Store, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    principal = await auth.authenticate(login.access_token)
    await _revoked_elsewhere(store, principal.jti)
    assert (await auth.authenticate(login.access_token)).jti == principal.jti
    clock.advance(1.01)
    with pytest.raises(TokenRevokedError):
        await auth.authenticate(login.access_token)


async def test_a_zero_cache_ttl_reads_revocations_on_every_request(
    store: Store, smtp_server: SmtpServer, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    uncached = AuthService(
        store,
        make_codec(),
        SmtpCodeMailer(SmtpConfig(host=smtp_server.host, port=smtp_server.port, starttls=False)),
        code_key=b"c" * 32,
        clock=clock,
        monotonic=clock,
        revocation_cache_ttl_s=0,
    )
    address = new_email()
    await uncached.request_code(address, IP)
    login = await uncached.verify(address, mailbox.code_for(address), IP)
    principal = await uncached.authenticate(login.access_token)
    await _revoked_elsewhere(store, principal.jti)
    with pytest.raises(TokenRevokedError):
        await uncached.authenticate(login.access_token)


async def test_a_revocation_through_the_service_applies_at_once_to_a_trusted_token(
    auth: AuthService, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    newer = await auth.refresh(login.refresh_token, IP)
    assert (await auth.authenticate(newer.access_token)).user_id == login.user.id
    with pytest.raises(RefreshTokenReusedError):
        await auth.refresh(login.refresh_token, IP)
    with pytest.raises(TokenRevokedError):
        await auth.authenticate(newer.access_token)


@pytest.mark.parametrize(
    ("ip", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("unknown", "unknown"),
    ],
)
def test_ipv6_clients_are_limited_per_64_network(ip: str, key: str) -> None:
    assert client_key(ip) == key


async def test_one_ipv6_network_shares_one_code_budget(auth: AuthService, new_email) -> None:
    for host in range(auth.limits.codes_per_ip.capacity):
        await auth.request_code(new_email(), f"2001:db8:7:7::{host + 1:x}")
    with pytest.raises(RateLimitedError):
        await auth.request_code(new_email(), "2001:db8:7:7:ffff::1")
