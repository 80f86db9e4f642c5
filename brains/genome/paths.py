"""JSON paths for error messages: ``$.blueprint["_____10c-i__inf-cx-___bbx-i"]``."""

from __future__ import annotations

import json
import re

ROOT = "$"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


def child(path: str, key: str | int) -> str:
    """The path of ``key`` (an object key or a list index) under ``path``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.fullmatch(key):
        return f"{path}.{key}"
    if _NEEDS_ESCAPE.search(key) is None:
        return f'{path}["{key}"]'
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"
