"""HTTP error responses: every error body is ``{"error": {"code", "message", "fields"}}``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

__all__ = ["ApiError", "error_response", "exception_handlers"]

_log = structlog.get_logger("brainhost.http")

_STATUS_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


class ApiError(Exception):
    """An error the API answers with, carrying its HTTP status and a stable ``code``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else None


def error_response(
    status: int,
    code: str,
    message: str,
    fields: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render one error in the API's JSON shape."""
    body = {"error": {"code": code, "message": message, "fields": dict(fields) if fields else None}}
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _STATUS_CODES.get(exc.status_code, "http_error")
    return error_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _unhandled(request: Request, exc: Exception) -> Response:
    _log.exception("unhandled_error", path=request.url.path, method=request.method)
    return error_response(500, "internal_error", "internal error; see the server log")


def exception_handlers() -> dict[Any, Any]:
    """The handlers ``create_app`` installs, most specific first."""
    return {ApiError: _api_error, HTTPException: _http_exception, Exception: _unhandled}
