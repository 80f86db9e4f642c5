"""The tenancy exception hierarchy.

Every error raised by `tenancy.auth` and `tenancy.workspaces` derives from `TenancyError`
and carries a stable machine-readable `code`, a message a person can act on and, for
input errors, `fields` naming what is wrong and where. The HTTP edge maps each class to
one status (see `app/errors.py`); nothing here knows about HTTP.
"""

from __future__ import annotations

__all__ = [
    "ConflictError",
    "ForbiddenError",
    "InvalidCodeError",
    "InvalidInputError",
    "InvalidTokenError",
    "LastOwnerError",
    "MailDeliveryError",
    "NotFoundError",
    "QuotaExceededError",
    "RateLimitedError",
    "RefreshTokenReusedError",
    "TenancyError",
    "TokenExpiredError",
    "TokenRevokedError",
    "UnauthenticatedError",
]


class TenancyError(Exception):
    """Base class of every tenancy error."""

    code = "tenancy_error"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = dict(fields) if fields else {}


class InvalidInputError(TenancyError):
    """A value is well-formed JSON but not acceptable (bad slug, unknown role, ...)."""

    code = "invalid_input"


class NotFoundError(TenancyError):
    """The thing does not exist, or exists where the caller may not see it."""

    code = "not_found"


class ConflictError(TenancyError):
    """The request clashes with existing state (slug or domain taken, already a member)."""

    code = "conflict"


class LastOwnerError(ConflictError):
    """The change would leave a workspace without an owner."""

    code = "last_owner"


class QuotaExceededError(ConflictError):
    """A per-user or per-workspace count limit is reached."""

    code = "quota_exceeded"


class ForbiddenError(TenancyError):
    """The caller is a member but their role does not allow this."""

    code = "forbidden"


class UnauthenticatedError(TenancyError):
    """No usable credentials: missing, malformed, expired or revoked."""

    code = "unauthenticated"


class InvalidTokenError(UnauthenticatedError):
    """The token is malformed, badly signed, for another audience or uses a banned algorithm."""

    code = "invalid_token"


class TokenExpiredError(UnauthenticatedError):
    """The token was valid once and has expired (beyond the allowed clock skew)."""

    code = "token_expired"


class TokenRevokedError(UnauthenticatedError):
    """The token, or the session it belongs to, was revoked."""

    code = "token_revoked"


class RefreshTokenReusedError(UnauthenticatedError):
    """An already-rotated refresh token was presented; its whole family is now revoked."""

    code = "refresh_token_reused"


class InvalidCodeError(TenancyError):
    """A login code is wrong, expired, used, superseded or out of attempts.

    One class and one message for all of these so that answers do not tell an attacker
    which one applied.
    """

    code = "invalid_code"


class RateLimitedError(TenancyError):
    """Too many requests; `retry_after_s` says when the next one can succeed."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: float) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class MailDeliveryError(TenancyError):
    """The outgoing mail server refused or could not be reached."""

    code = "mail_unavailable"
