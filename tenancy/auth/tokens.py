"""Access tokens: issuing and verifying JWTs with pyjwt against a `KeyRing`.

Verification pins the algorithm to the ring's: pyjwt is called with exactly that one
algorithm, so a token whose header names another (``none``, or HS256 over an EdDSA ring's
public key) is refused before any signature check. The key is chosen by `kid`, never by
the header's `alg`. Every registered claim we
rely on is required. Expiry and not-yet-valid ``iat`` are checked by pyjwt against the
wall clock with `leeway_s` of tolerated skew; the issuing clock is injectable for tests.
Revocation is not decided here (it needs the store): see `AuthService.authenticate`.

A verified token's claims are remembered (bounded LRU, keyed by the exact token string) so
a client repeating its token does not pay for a signature check on every request: the
same bytes verify the same way. A remembered token is still refused once expired, and the
memory is dropped whenever the key ring changes (a retired key's tokens verify no more).
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cachetools import LRUCache

from tenancy.auth.keys import KeyRing
from tenancy.errors import InvalidTokenError, TokenExpiredError

__all__ = ["AccessClaims", "AccessTokenCodec"]

_REQUIRED = ["iss", "aud", "sub", "iat", "exp", "jti"]
VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says about its bearer."""

    user_id: str
    email: str
    session_id: str
    jti: str
    issued_at: int
    expires_at: int
    workspaces: Mapping[str, str] = field(default_factory=dict)


class AccessTokenCodec:
    """Signs and verifies access tokens of one issuer and audience."""

    def __init__(
        self,
        ring: KeyRing,
        *,
        issuer: str,
        audience: str,
        ttl_s: int = 900,
        leeway_s: float = 30.0,
        clock: Callable[[], float] = time.time,
        reload: Callable[[], KeyRing] | None = None,
        reload_interval_s: float = 60.0,
        verified_cache_size: int = VERIFIED_CACHE_SIZE,
    ) -> None:
        if ttl_s <= 0:
            raise ValueError(f"access token ttl must be > 0 s, got {ttl_s}")
        if not 0 <= leeway_s < ttl_s:
            raise ValueError(f"leeway must be in [0, ttl), got {leeway_s}")
        self._verified: LRUCache[str, AccessClaims] = LRUCache(maxsize=max(1, verified_cache_size))
        self.ring = ring
        self.issuer = issuer
        self.audience = audience
        self.ttl_s = ttl_s
        self.leeway_s = leeway_s
        self._clock = clock
        self._reload = reload
        self._reload_interval_s = reload_interval_s
        self._reloaded_at = -math.inf

    @property
    def ring(self) -> KeyRing:
        """The keys tokens are signed and verified with."""
        return self._ring

    @ring.setter
    def ring(self, ring: KeyRing) -> None:
        self._ring = ring
        self._verified.clear()

    def issue(
        self, *, user_id: str, email: str, session_id: str, workspaces: Mapping[str, str]
    ) -> tuple[str, AccessClaims]:
        """A signed token and the claims it carries."""
        now = int(self._clock())
        claims = AccessClaims(
            user_id=user_id,
            email=email,
            session_id=session_id,
            jti=secrets.token_urlsafe(16),
            issued_at=now,
            expires_at=now + self.ttl_s,
            workspaces=dict(workspaces),
        )
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": user_id,
            "iat": now,
            "exp": claims.expires_at,
            "jti": claims.jti,
            "sid": session_id,
            "email": email,
            "workspaces": dict(workspaces),
        }
        key = self.ring.current
        assert key.private is not None
        token = jwt.encode(payload, key.private, algorithm=key.algorithm, headers={"kid": key.kid})
        return token, claims

    def verify(self, token: str) -> AccessClaims:
        """The claims of a valid token; `TokenExpiredError` or `InvalidTokenError` otherwise.

        A token signed with a key this ring does not know makes the ring reload (when a
        `reload` was given, at most once per `reload_interval_s`): another process may
        have rotated keys.
        """
        claims = self._verified.get(token)
        if claims is not None:
            # pyjwt's rule: expired once the wall clock reaches exp + leeway.
            if time.time() < claims.expires_at + self.leeway_s:
                return claims
            del self._verified[token]
            raise TokenExpiredError("the access token has expired; refresh it")
        try:
            claims = self._verify(token)
        except _UnknownKeyError:
            now = time.monotonic()
            if self._reload is None or now - self._reloaded_at < self._reload_interval_s:
                raise
            self._reloaded_at = now
            self.ring = self._reload()
            claims = self._verify(token)
        self._verified[token] = claims
        return claims

    def _verify(self, token: str) -> AccessClaims:
        key = self.ring.only
        if key is None:
            # Several keys: the header's kid picks one (its alg is pinned by pyjwt below).
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except jwt.InvalidTokenError:
                raise InvalidTokenError("the bearer token is not a well-formed JWT") from None
            key = self.ring.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise _UnknownKeyError(_UNKNOWN_KEY)
        try:
            decoded = jwt.decode_complete(
                token,
                key.verifying,
                algorithms=[self.ring.algorithm],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway_s,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise TokenExpiredError("the access token has expired; refresh it") from None
        except jwt.InvalidAlgorithmError:
            raise InvalidTokenError(
                f"token algorithm not accepted (only {self.ring.algorithm})"
            ) from None
        except jwt.InvalidSignatureError:
            if jwt.get_unverified_header(token).get("kid") != key.kid:
                raise _UnknownKeyError(_UNKNOWN_KEY) from None
            raise InvalidTokenError(
                "the bearer token's signature does not match; it was altered or forged"
            ) from None
        except jwt.InvalidTokenError as exc:
            raise InvalidTokenError(f"the bearer token is invalid: {exc}") from None
        if decoded["header"].get("kid") != key.kid:
            raise _UnknownKeyError(_UNKNOWN_KEY)
        return _claims(decoded["payload"])


class _UnknownKeyError(InvalidTokenError):
    """The token names a key this ring does not hold (new elsewhere, or retired)."""


_UNKNOWN_KEY = "token signed with an unknown or retired key"


def _claims(payload: Mapping[str, Any]) -> AccessClaims:
    sub, email, sid, jti = (payload.get(k) for k in ("sub", "email", "sid", "jti"))
    workspaces = payload.get("workspaces", {})
    if not all(isinstance(v, str) and v for v in (sub, email, sid, jti)):
        raise InvalidTokenError("the bearer token lacks sub, email, sid or jti")
    if not isinstance(workspaces, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in workspaces.items()
    ):
        raise InvalidTokenError("the bearer token's workspaces claim is malformed")
    assert isinstance(sub, str) and isinstance(email, str)
    assert isinstance(sid, str) and isinstance(jti, str)
    return AccessClaims(
        user_id=sub,
        email=email,
        session_id=sid,
        jti=jti,
        issued_at=int(payload["iat"]),
        expires_at=int(payload["exp"]),
        workspaces=workspaces,
    )
