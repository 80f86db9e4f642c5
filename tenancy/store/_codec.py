"""Pure conversions shared by the adapters: timestamps, JSON fields, size limits."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from tenancy.store.errors import InvalidRecord, RecordTooLarge, StoreError

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

DEFAULT_MAX_RECORD_BYTES = 8 * 1024 * 1024
"""Largest JSON field, blob or message body a store accepts (MongoDB caps documents at
16 MiB; one limit for every adapter keeps their behaviour identical)."""


def to_micros(moment: datetime) -> int:
    """Microseconds since the Unix epoch: exact, orderable, the same on every adapter."""
    return (moment - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The UTC datetime of `to_micros`' result."""
    return EPOCH + micros * _MICROSECOND


def encode_json(value: Mapping[str, Any], what: str, max_bytes: int) -> str:
    """Serialise a JSON object for storage, enforcing the record size limit."""
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"{what} is not JSON-serialisable: {exc}") from exc
    check_size(len(text.encode()), what, max_bytes)
    return text


def decode_json(text: str, what: str) -> dict[str, Any]:
    """Parse a JSON object written by `encode_json`."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise StoreError(f"stored {what} is not valid JSON (corrupt record): {exc}") from exc
    if not isinstance(value, dict):
        raise StoreError(f"stored {what} is not a JSON object (corrupt record)")
    return value


def check_size(size: int, what: str, max_bytes: int) -> None:
    """Raise `RecordTooLarge` when `size` exceeds the store's limit."""
    if size > max_bytes:
        raise RecordTooLarge(
            f"{what} is {size} bytes; the store accepts at most {max_bytes} bytes per record"
        )


def check_positive_limit(limit: int) -> int:
    """Validate a list `limit` argument."""
    if not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise InvalidRecord(f"limit must be an integer in 1..10000; got {limit!r}")
    return limit


def check_max_attempts(max_attempts: int) -> int:
    """Validate the attempt budget of a login code check."""
    if not isinstance(max_attempts, int) or max_attempts < 1:
        raise InvalidRecord(f"max_attempts must be a positive integer; got {max_attempts!r}")
    return max_attempts
