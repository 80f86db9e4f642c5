"""Genome signatures as feagi-core computes them.

feagi-core (``feagi-evolutionary``, ``genome/signatures.rs``) hashes each section with
SHA-256 over ``serde_json::to_string`` of the section and keeps the first 16 hex digits:

* ``genome``: ``{"blueprint": ..., "neuron_morphologies": ..., "physiology": ...}``
* ``blueprint``, ``physiology`` and ``morphologies``: the section alone.

serde_json writes compact JSON with object keys in sorted order (its default map is a
``BTreeMap``), integers as integers and floats in Ryu's shortest form (``100.0``,
``0.025``, ``1e-7``); :func:`canonical_json` reproduces that byte for byte. The blueprint
hashed is the flat 2.x blueprint exactly as :func:`~brains.genome.writer.genome_to_dict`
writes it. Python FEAGI's 16-hex xxhash64 signatures found in older files are a
different function; they are kept as stored, never recomputed.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from brains.genome.model import Genome, JsonValue
from brains.genome.writer import genome_to_dict

SIGNATURE_HEX_DIGITS = 16


def canonical_json(value: JsonValue) -> str:
    """``serde_json::to_string`` of a ``serde_json::Value`` built from ``value``."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def section_signature(value: JsonValue) -> str:
    digest = hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
    return digest[:SIGNATURE_HEX_DIGITS]


def compute_signatures(genome: Genome) -> dict[str, str]:
    """``{"genome", "blueprint", "physiology", "morphologies"}`` signatures of ``genome``."""
    document = genome_to_dict(genome, form="flat")
    blueprint = {
        key: value
        for key, value in _as_object(document["blueprint"]).items()
        if not key.startswith("/")
    }
    morphologies = document["neuron_morphologies"]
    physiology = document["physiology"]
    combined: dict[str, JsonValue] = {
        "blueprint": blueprint,
        "neuron_morphologies": morphologies,
        "physiology": physiology,
    }
    return {
        "genome": section_signature(combined),
        "blueprint": section_signature(blueprint),
        "physiology": section_signature(physiology),
        "morphologies": section_signature(morphologies),
    }


def _as_object(value: JsonValue) -> dict[str, JsonValue]:
    assert isinstance(value, dict)
    return value


def _write(value: JsonValue, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, int):
        parts.append(str(value))
    elif isinstance(value, float):
        parts.append(ryu_format(value))
    elif isinstance(value, str):
        parts.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, list):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        parts.append("{")
        for index, key in enumerate(sorted(value)):
            if index:
                parts.append(",")
            parts.append(json.dumps(key, ensure_ascii=False))
            parts.append(":")
            _write(value[key], parts)
        parts.append("}")


def ryu_format(number: float) -> str:
    """Format a finite float the way Rust's ``ryu`` (and so serde_json) does."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{number} cannot be written as JSON")
    sign, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    assert isinstance(exponent, int)
    digits = "".join(str(d) for d in digit_tuple)
    while len(digits) > 1 and digits.endswith("0"):
        digits = digits[:-1]
        exponent += 1
    if digits == "0":
        exponent = 0
    prefix = "-" if sign else ""
    length = len(digits)
    point = length + exponent
    if exponent >= 0 and point <= 16:
        body = digits + "0" * exponent + ".0"
    elif 0 < point <= 16:
        body = digits[:point] + "." + digits[point:]
    elif -5 < point <= 0:
        body = "0." + "0" * (-point) + digits
    elif length == 1:
        body = f"{digits}e{point - 1}"
    else:
        body = f"{digits[0]}.{digits[1:]}e{point - 1}"
    return prefix + body
