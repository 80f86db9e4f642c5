"""Type tests and descriptions of decoded JSON values, shared by the genome parsers."""

from __future__ import annotations

import json
import math
from typing import cast

from brains.genome.model import Vec3


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def as_float(value: object) -> float | None:
    """A finite JSON number as a float; ``None`` for anything else (booleans included)."""
    if is_number(value):
        return float(cast(float, value))
    return None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def as_vec3(value: object) -> Vec3 | None:
    if not isinstance(value, list) or len(value) != 3:
        return None
    items = [as_int(v) for v in value]
    if any(item is None for item in items):
        return None
    return Vec3(cast(int, items[0]), cast(int, items[1]), cast(int, items[2]))


def describe(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False) if _json_safe(value) else repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{_type_name(value)} {text}"


def _json_safe(value: object) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _type_name(value: object) -> str:
    names: dict[type, str] = {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "list",
        dict: "object",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)


def format_number(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)
