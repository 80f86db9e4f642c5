"""FEAGI keys: the per-brain secret that stands in for a FEAGI engine's base URL.

A key is 32 random bytes (URL-safe base64, prefixed ``fk_`` so it is recognisable in a
leak scan); only its SHA-256 is stored, so a stolen database opens no brain. Keys travel
in the URL path, so :func:`redact_path` hides them from anything that logs paths.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from typing import Final

__all__ = ["KEY_PREFIX", "hash_key", "new_key", "redact_path"]

KEY_PREFIX: Final = "fk_"
_KEY_BYTES: Final = 32
_MAX_KEY_CHARS: Final = 128
_IN_PATH: Final = re.compile(r"(/feagi/)[^/]+")


def new_key() -> str:
    """A fresh key, to be shown once to its creator."""
    return KEY_PREFIX + secrets.token_urlsafe(_KEY_BYTES)


def hash_key(key: str) -> bytes:
    """The stored form of a key (SHA-256); over-long input hashes to a value never issued."""
    if len(key) > _MAX_KEY_CHARS:
        key = key[:_MAX_KEY_CHARS] + "\x00"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def redact_path(path: str) -> str:
    """``/feagi/<key>/v1/...`` with the key replaced by ``***``."""
    return _IN_PATH.sub(r"\1***", path, count=1)
