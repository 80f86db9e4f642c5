"""Bytes or text -> decoded JSON, with the size limit enforced before decoding."""

from __future__ import annotations

import json

from brains.genome.errors import ErrorKind, GenomeError, GenomeValidationError
from brains.genome.limits import DEFAULT_LIMITS, GenomeLimits, check_file_size
from brains.genome.paths import ROOT


def decode_document(data: bytes | str, limits: GenomeLimits = DEFAULT_LIMITS) -> object:
    """Bytes or text -> JSON value, enforcing the file-size limit before decoding."""
    if isinstance(data, bytes):
        check_file_size(len(data), limits)
    elif len(data) > limits.max_file_bytes:
        # Over the limit in characters already: no need to encode it to count bytes.
        check_file_size(len(data), limits, at_least=True)
    elif len(data) * 4 > limits.max_file_bytes:
        check_file_size(len(data.encode("utf-8", "surrogatepass")), limits)
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise GenomeValidationError(
                [GenomeError(ROOT, ErrorKind.INVALID_JSON, f"genome is not UTF-8: {exc}")]
            ) from None
    else:
        text = data
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    except ValueError as exc:
        message = f"invalid JSON: {exc}"
    except RecursionError:
        message = "invalid JSON: nested too deeply"
    raise GenomeValidationError([GenomeError(ROOT, ErrorKind.INVALID_JSON, message)])


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")
