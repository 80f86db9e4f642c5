"""Assembling an `AuthService` from configuration: keys, mailer, limits.

Secrets live in the data dir when not configured: ``<data_dir>/jwt_secret`` (HS256) and
``<data_dir>/login_code_key`` (the HMAC key of login codes), both generated on first
start with mode 0600; EdDSA keys in ``jwt_keys_dir`` (default ``<data_dir>/jwt_keys``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import anyio

from tenancy.auth.codes import CodePolicy
from tenancy.auth.keys import Algorithm, KeyRing, load_ed25519_ring, load_or_create_secret
from tenancy.auth.mailer import CodeMailer, OutboxCodeMailer, SmtpCodeMailer, SmtpConfig
from tenancy.auth.service import AuthLimits, AuthService
from tenancy.auth.tokens import AccessTokenCodec
from tenancy.store import Store

__all__ = ["AuthConfig", "build_auth_service", "load_key_ring"]


@dataclass(frozen=True, slots=True)
class AuthConfig:
    """Everything `build_auth_service` needs; the app fills it from `Settings`."""

    data_dir: Path
    issuer: str = "brainhost"
    audience: str = "brainhost-api"
    access_ttl_s: int = 900
    session_ttl_s: int = 7 * 86_400
    leeway_s: float = 30.0
    jwt_algorithm: Algorithm = "HS256"
    jwt_secret: str | None = None
    jwt_keys_dir: Path | None = None
    smtp: SmtpConfig | None = None
    mail_from: str = "brainhost@localhost"
    policy: CodePolicy = field(default_factory=CodePolicy)
    limits: AuthLimits = field(default_factory=AuthLimits)
    revocation_cache_ttl_s: float = 1.0

    def __repr__(self) -> str:
        return f"AuthConfig(data_dir={self.data_dir!r}, algorithm={self.jwt_algorithm!r})"


def load_key_ring(config: AuthConfig) -> KeyRing:
    """The signing keys in force (blocking file I/O; call from a worker thread)."""
    if config.jwt_algorithm == "EdDSA":
        return load_ed25519_ring(config.jwt_keys_dir or config.data_dir / "jwt_keys")
    if config.jwt_secret:
        return KeyRing.hs256(config.jwt_secret.encode())
    return KeyRing.hs256(load_or_create_secret(config.data_dir / "jwt_secret"))


def _mailer(config: AuthConfig) -> CodeMailer:
    if config.smtp is not None and config.smtp.host:
        return SmtpCodeMailer(config.smtp)
    return OutboxCodeMailer(config.data_dir / "outbox", sender=config.mail_from)


async def build_auth_service(config: AuthConfig, store: Store) -> AuthService:
    """Load or create keys, pick the mailer and return the service."""
    ring = await anyio.to_thread.run_sync(load_key_ring, config)
    code_key = await anyio.to_thread.run_sync(
        load_or_create_secret, config.data_dir / "login_code_key"
    )
    codec = AccessTokenCodec(
        ring,
        issuer=config.issuer,
        audience=config.audience,
        ttl_s=config.access_ttl_s,
        leeway_s=config.leeway_s,
        # Other processes may rotate EdDSA keys; a shared HS256 secret never changes live.
        reload=(lambda: load_key_ring(config)) if config.jwt_algorithm == "EdDSA" else None,
    )
    return AuthService(
        store,
        codec,
        _mailer(config),
        code_key=code_key,
        session_ttl_s=config.session_ttl_s,
        policy=config.policy,
        limits=config.limits,
        revocation_cache_ttl_s=config.revocation_cache_ttl_s,
    )
