"""Passwordless login: mailed one-time codes, rotating sessions, signed access tokens.

Build an `AuthService` with `build_auth_service(AuthConfig(...), store)`; the HTTP edge
calls `request_code`, `verify`, `refresh`, `logout` and, on every request,
`authenticate(bearer_token) -> Principal`.
"""

from tenancy.auth.codes import CodePolicy, code_digest, new_code, normalize_email
from tenancy.auth.keys import (
    KeyRing,
    SigningKey,
    load_ed25519_ring,
    load_or_create_secret,
    promote_staged_keys,
    rotate_ed25519_key,
)
from tenancy.auth.mailer import (
    CodeMailer,
    OutboxCodeMailer,
    SmtpCodeMailer,
    SmtpConfig,
    build_code_message,
)
from tenancy.auth.ratelimit import RateLimit, TokenBucketLimiter
from tenancy.auth.service import AuthLimits, AuthService, LoginResult, Principal, new_id
from tenancy.auth.setup import AuthConfig, build_auth_service
from tenancy.auth.tokens import AccessClaims, AccessTokenCodec

__all__ = [
    "AccessClaims",
    "AccessTokenCodec",
    "AuthConfig",
    "AuthLimits",
    "AuthService",
    "CodeMailer",
    "CodePolicy",
    "KeyRing",
    "LoginResult",
    "OutboxCodeMailer",
    "Principal",
    "RateLimit",
    "SigningKey",
    "SmtpCodeMailer",
    "SmtpConfig",
    "TokenBucketLimiter",
    "build_auth_service",
    "build_code_message",
    "code_digest",
    "load_ed25519_ring",
    "load_or_create_secret",
    "new_code",
    "new_id",
    "normalize_email",
    "promote_staged_keys",
    "rotate_ed25519_key",
]
