"""Errors of the FEAGI API, answered in the engine's shape: ``{"code": status, "message"}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import JSONResponse

__all__ = ["FeagiError", "feagi_error_response"]


class FeagiError(ValueError):
    """An answer other than success; ``extra`` adds keys to the body (e.g. ``errors``).

    A ``ValueError`` so that a brain host running a FEAGI call treats it as the caller's
    mistake (answered, brain untouched) rather than as a crash of the brain.
    """

    def __init__(self, status: int, message: str, extra: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = dict(extra) if extra else {}


def feagi_error_response(error: FeagiError) -> JSONResponse:
    body: dict[str, Any] = {"code": error.status, "message": error.message, **error.extra}
    headers = {"WWW-Authenticate": "FEAGI-key"} if error.status == 401 else None
    return JSONResponse(body, status_code=error.status, headers=headers)
