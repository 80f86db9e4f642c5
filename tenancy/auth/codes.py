"""One-time login codes: generation, keyed digests, and the rules a code obeys.

Only `code_digest(...)` of a code is ever stored: an HMAC-SHA256 keyed by a server secret
and bound to the address, so a leaked database neither reveals codes nor allows checking
guesses offline without the key.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from hashlib import sha256

from tenancy.errors import InvalidInputError

__all__ = [
    "CODE_DIGITS",
    "CodePolicy",
    "check_code_format",
    "code_digest",
    "new_code",
    "normalize_email",
]

CODE_DIGITS = 6

# Deliberately simple: one @, no spaces, a dot in the domain. Deliverability is proven by
# the mailed code, not by a regex.
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_MAX_EMAIL = 254
_CODE = re.compile(rf"^[0-9]{{{CODE_DIGITS}}}$")


@dataclass(frozen=True, slots=True)
class CodePolicy:
    """How long a code lives, how many wrong tries it survives, how often one may be sent."""

    ttl_s: float = 600.0
    max_attempts: int = 5
    resend_gap_s: float = 60.0

    def __post_init__(self) -> None:
        if self.ttl_s <= 0:
            raise ValueError(f"code ttl must be > 0 s, got {self.ttl_s}")
        if self.max_attempts < 1:
            raise ValueError(f"code max_attempts must be >= 1, got {self.max_attempts}")
        if self.resend_gap_s < 0:
            raise ValueError(f"code resend gap must be >= 0 s, got {self.resend_gap_s}")


def new_code() -> str:
    """A fresh code of `CODE_DIGITS` decimal digits from the OS CSPRNG."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def normalize_email(email: str, *, field: str = "email") -> str:
    """Trim and lower-case an address; `InvalidInputError` naming `field` when it is not one."""
    value = email.strip().lower()
    if len(value) > _MAX_EMAIL or not _EMAIL.match(value):
        raise InvalidInputError(
            f"{email!r} is not an email address",
            fields={field: "expected an address like name@example.org (at most 254 chars)"},
        )
    return value


def check_code_format(code: str, *, field: str = "code") -> str:
    """The code stripped of surrounding spaces; `InvalidInputError` unless it is 6 digits."""
    value = code.strip()
    if not _CODE.match(value):
        raise InvalidInputError(
            "a login code is six digits", fields={field: f"expected {CODE_DIGITS} digits"}
        )
    return value


def code_digest(key: bytes, email: str, code: str) -> bytes:
    """HMAC-SHA256 of (address, code) under `key` (the store compares these, never codes)."""
    return hmac.new(key, f"{email}\x00{code}".encode(), sha256).digest()
