"""Decisions shared by every adapter, as pure functions of a stored record."""

from __future__ import annotations

import hmac
from datetime import datetime

from tenancy.store.records import CodeOutcome, LoginCode, RotationOutcome, Session


def classify_code(
    code: LoginCode | None, code_hmac: bytes, now: datetime, max_attempts: int
) -> CodeOutcome:
    """What a check of `code_hmac` against the latest `code` should do (pure)."""
    if code is None or code.consumed:
        return CodeOutcome.MISSING
    if code.attempts >= max_attempts:
        return CodeOutcome.EXHAUSTED
    if code.expires_at <= now:
        return CodeOutcome.EXPIRED
    if hmac.compare_digest(code.code_hmac, code_hmac):
        return CodeOutcome.ACCEPTED
    return CodeOutcome.MISMATCH


def classify_rotation(previous: Session | None, now: datetime) -> RotationOutcome:
    """What presenting the refresh token of `previous` should do (pure)."""
    if previous is None:
        return RotationOutcome.UNKNOWN
    if previous.revoked:
        return RotationOutcome.REVOKED
    if previous.rotated_to is not None:
        return RotationOutcome.REUSED
    if previous.expires_at <= now:
        return RotationOutcome.EXPIRED
    return RotationOutcome.ROTATED
