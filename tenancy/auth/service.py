"""Passwordless login: codes by mail, sessions with rotating refresh tokens, access tokens.

`AuthService` ties the pure parts (codes, tokens, limiters) to a `Store` and a
`CodeMailer`. Rules it enforces:

- requesting a code answers the same whether or not the address has an account; sends
  are limited per address and per client IP (token buckets) and spaced by the code
  policy's resend gap (atomically, in the store);
- a code is checked atomically in the store: single use, only the latest one, a fixed
  number of wrong tries, an expiry;
- refresh tokens rotate on every use; presenting a rotated one revokes its family, and
  the family's access tokens with it;
- every authenticated request checks the token's `jti` and its session family against
  the revocation list. A token found not revoked is trusted for `revocation_cache_ttl_s`
  (default 1 s) without asking the store again; a revocation made through this service
  takes effect at once, one made by another process within that time.
"""

from __future__ import annotations

import hashlib
import ipaddress
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import structlog

from tenancy.auth.codes import (
    CodePolicy,
    check_code_format,
    code_digest,
    new_code,
    normalize_email,
)
from tenancy.auth.mailer import CodeMailer
from tenancy.auth.ratelimit import RateLimit, TokenBucketLimiter
from tenancy.auth.tokens import AccessClaims, AccessTokenCodec
from tenancy.errors import (
    InvalidCodeError,
    RateLimitedError,
    RefreshTokenReusedError,
    TokenRevokedError,
    UnauthenticatedError,
)
from tenancy.recent_answers import RecentAnswers
from tenancy.store import (
    CodeOutcome,
    LoginCode,
    Membership,
    RevokedToken,
    RotationOutcome,
    Session,
    Store,
    User,
)

__all__ = ["AuthLimits", "AuthService", "LoginResult", "Principal", "client_key", "new_id"]

_log = structlog.get_logger("brainhost.auth")
_FAMILY_PREFIX = "family:"


def new_id(prefix: str) -> str:
    """A random identifier valid as a store key: ``<prefix>_`` + 16 url-safe chars."""
    return f"{prefix}_{secrets.token_urlsafe(12)}"


def client_key(ip: str) -> str:
    """The rate-limit key of a client address: IPv4 as is, IPv6 by its /64 network.

    One IPv6 host usually controls a whole /64, so per-address buckets would not limit it.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def _hash_refresh(token: str) -> bytes:
    # Refresh tokens carry 256 random bits, so a plain digest is enough (no offline guessing).
    return hashlib.sha256(token.encode()).digest()


@dataclass(frozen=True, slots=True)
class AuthLimits:
    """Rate limits of the login endpoints (per key, token bucket)."""

    codes_per_email: RateLimit = field(default_factory=lambda: RateLimit(5, 3600.0))
    codes_per_ip: RateLimit = field(default_factory=lambda: RateLimit(30, 3600.0))
    verifies_per_ip: RateLimit = field(default_factory=lambda: RateLimit(60, 600.0))
    refreshes_per_ip: RateLimit = field(default_factory=lambda: RateLimit(300, 3600.0))


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: str
    email: str
    session_id: str
    jti: str
    expires_at: int
    workspaces: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class LoginResult:
    """What a successful verify or refresh hands back."""

    access_token: str
    expires_in: int
    refresh_token: str
    user: User
    memberships: list[Membership]


class AuthService:
    """Login codes, sessions and access-token authentication over one `Store`."""

    def __init__(
        self,
        store: Store,
        codec: AccessTokenCodec,
        mailer: CodeMailer,
        *,
        code_key: bytes,
        session_ttl_s: int = 7 * 86_400,
        policy: CodePolicy | None = None,
        limits: AuthLimits | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        revocation_cache_ttl_s: float = 1.0,
    ) -> None:
        if len(code_key) < 32:
            raise ValueError("the login-code HMAC key must be at least 32 bytes")
        self.store = store
        self.codec = codec
        self.mailer = mailer
        self.policy = policy or CodePolicy()
        self.session_ttl_s = session_ttl_s
        self._code_key = code_key
        self._clock = clock
        limits = limits or AuthLimits()
        self.limits = limits
        self._per_email = TokenBucketLimiter(limits.codes_per_email, clock=monotonic)
        self._per_ip = TokenBucketLimiter(limits.codes_per_ip, clock=monotonic)
        self._verify_per_ip = TokenBucketLimiter(limits.verifies_per_ip, clock=monotonic)
        self._refresh_per_ip = TokenBucketLimiter(limits.refreshes_per_ip, clock=monotonic)
        # jti -> the principal of a token found not revoked (its own jti nor its family).
        self._not_revoked: RecentAnswers[str, Principal] = RecentAnswers(
            "revocation", revocation_cache_ttl_s, clock=monotonic
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # ----------------------------------------------------------------- login codes

    async def request_code(self, email: str, client_ip: str) -> None:
        """Mail a fresh code to `email`. `RateLimitedError` when too many were asked for."""
        address = normalize_email(email)
        client_ip = client_key(client_ip)
        wait = max(self._per_ip.peek(client_ip), self._per_email.peek(address))
        if wait > 0:
            raise RateLimitedError(
                "too many login codes requested; wait and try again", retry_after_s=wait
            )
        self._per_ip.acquire(client_ip)
        self._per_email.acquire(address)
        now = self._now()
        code = new_code()
        record = LoginCode(
            email=address,
            code_hmac=code_digest(self._code_key, address, code),
            created_at=now,
            expires_at=now + timedelta(seconds=self.policy.ttl_s),
        )
        not_before = await self.store.login_codes.issue(
            record, min_interval=timedelta(seconds=self.policy.resend_gap_s)
        )
        if not_before is not None:
            raise RateLimitedError(
                "a code was sent to this address moments ago; wait before asking again",
                retry_after_s=max(1.0, (not_before - now).total_seconds()),
            )
        try:
            await self.mailer.send_code(address, code, self.policy.ttl_s)
        except BaseException:
            # An undelivered code must not block the next request for the resend gap.
            await self.store.login_codes.delete(address)
            raise

    async def verify(self, email: str, code: str, client_ip: str) -> LoginResult:
        """Exchange a mailed code for a session. `InvalidCodeError` for any bad code."""
        address = normalize_email(email)
        code = check_code_format(code)
        wait = self._verify_per_ip.acquire(client_key(client_ip))
        if wait > 0:
            raise RateLimitedError("too many login attempts from this address", retry_after_s=wait)
        now = self._now()
        check = await self.store.login_codes.check(
            address,
            code_digest(self._code_key, address, code),
            now=now,
            max_attempts=self.policy.max_attempts,
        )
        if check.outcome is not CodeOutcome.ACCEPTED:
            _log.info("login_code_rejected", to=address, outcome=check.outcome.value)
            raise InvalidCodeError(
                "this code is wrong, expired, already used or replaced by a newer one; "
                f"a code allows {self.policy.max_attempts} tries, then request a new one"
            )
        user, created = await self.store.users.get_or_create(
            User(id=new_id("usr"), email=address, created_at=now)
        )
        claimed = await self.store.memberships.claim_invitations(user.id, address)
        if created or claimed:
            _log.info("user_login", user=user.id, new_user=created, invitations=len(claimed))
        refresh_token = secrets.token_urlsafe(32)
        session = Session(
            id=new_id("ses"),
            user_id=user.id,
            family_id=new_id("fam"),
            token_hash=_hash_refresh(refresh_token),
            created_at=now,
            expires_at=now + timedelta(seconds=self.session_ttl_s),
        )
        await self.store.sessions.create(session)
        return await self._login_result(user, session.family_id, refresh_token)

    # -------------------------------------------------------------------- sessions

    async def refresh(self, refresh_token: str, client_ip: str) -> LoginResult:
        """Rotate a refresh token. Reusing a rotated one revokes its whole family."""
        wait = self._refresh_per_ip.acquire(client_key(client_ip))
        if wait > 0:
            raise RateLimitedError("too many token refreshes from this address", retry_after_s=wait)
        now = self._now()
        new_token = secrets.token_urlsafe(32)
        rotation = await self.store.sessions.rotate(
            _hash_refresh(refresh_token),
            new_id=new_id("ses"),
            new_token_hash=_hash_refresh(new_token),
            now=now,
        )
        if rotation.outcome is RotationOutcome.REUSED:
            assert rotation.previous is not None
            await self._revoke_family_tokens(rotation.previous.family_id, now)
            _log.warning(
                "refresh_token_reused",
                user=rotation.previous.user_id,
                family=rotation.previous.family_id,
            )
            raise RefreshTokenReusedError(
                "this refresh token was already used; the session is revoked, log in again"
            )
        if rotation.outcome is not RotationOutcome.ROTATED or rotation.current is None:
            raise UnauthenticatedError(
                "the refresh token is unknown, expired or revoked; log in again"
            )
        user = await self.store.users.get(rotation.current.user_id)
        if user is None:
            raise UnauthenticatedError("the account of this session no longer exists")
        return await self._login_result(user, rotation.current.family_id, new_token)

    async def logout(self, principal: Principal) -> None:
        """Revoke the caller's session family and its access tokens, this one included."""
        now = self._now()
        await self.store.sessions.revoke_family(principal.session_id)
        await self.store.revoked_tokens.add(
            RevokedToken(principal.jti, datetime.fromtimestamp(principal.expires_at, UTC))
        )
        await self._revoke_family_tokens(principal.session_id, now)

    async def _revoke_family_tokens(self, family_id: str, now: datetime) -> None:
        # Access tokens of the family live at most one TTL (+ skew) from now.
        until = now + timedelta(seconds=self.codec.ttl_s + self.codec.leeway_s)
        with self._not_revoked.changing():
            await self.store.revoked_tokens.add(RevokedToken(_FAMILY_PREFIX + family_id, until))

    async def _login_result(self, user: User, family_id: str, refresh_token: str) -> LoginResult:
        memberships = await self.store.memberships.list_for_user(user.id)
        token, claims = self.codec.issue(
            user_id=user.id,
            email=user.email,
            session_id=family_id,
            workspaces={m.workspace.id: m.member.role for m in memberships},
        )
        return LoginResult(
            access_token=token,
            expires_in=claims.expires_at - claims.issued_at,
            refresh_token=refresh_token,
            user=user,
            memberships=memberships,
        )

    async def purge_expired(self) -> int:
        """Delete expired login codes, sessions and revocation entries; returns how many."""
        now = self._now()
        return (
            await self.store.login_codes.purge_expired(now)
            + await self.store.sessions.purge_expired(now)
            + await self.store.revoked_tokens.purge_expired(now)
        )

    # -------------------------------------------------------------- authentication

    def decode(self, token: str) -> AccessClaims:
        """Signature, algorithm, audience, issuer and expiry checks only (no store)."""
        return self.codec.verify(token)

    async def authenticate(self, token: str) -> Principal:
        """The principal of a bearer token: valid, unexpired and not revoked."""
        claims = self.codec.verify(token)
        known = self._not_revoked.get(claims.jti)
        if known is not None:
            return known
        revoked = self.store.revoked_tokens
        if await revoked.is_revoked(claims.jti) or await revoked.is_revoked(
            _FAMILY_PREFIX + claims.session_id
        ):
            raise TokenRevokedError("this access token was revoked; log in again")
        principal = Principal(
            user_id=claims.user_id,
            email=claims.email,
            session_id=claims.session_id,
            jti=claims.jti,
            expires_at=claims.expires_at,
            workspaces=claims.workspaces,
        )
        self._not_revoked.keep(claims.jti, principal)
        return principal
