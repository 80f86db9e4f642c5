"""Typed JSON endpoints: body parsing with a size limit, pydantic validation, OpenAPI records.

Routes declare their request and response models once; the same declaration validates
requests and feeds the generated OpenAPI document (see :mod:`app.openapi`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from app.errors import ApiError

__all__ = ["ApiRouter", "Operation", "read_json_body", "validation_fields"]

M = TypeVar("M", bound=BaseModel)
Handler = Callable[..., Awaitable[Any]]

DEFAULT_MAX_BODY = 1_048_576


@dataclass(frozen=True)
class Operation:
    """What the OpenAPI generator needs to know about one route and method."""

    method: str
    path: str
    name: str
    summary: str
    tags: tuple[str, ...]
    body: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    secured: bool
    errors: tuple[int, ...]


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """Map pydantic errors to ``{"a.b[0]": "message"}`` for the error body."""
    fields: dict[str, str] = {}
    for error in exc.errors():
        path = ""
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        fields[path or "body"] = error["msg"]
    return fields


async def read_json_body(request: Request, model: type[M], max_bytes: int) -> M:
    """Read at most ``max_bytes`` of JSON and validate it as ``model``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise ApiError(413, "payload_too_large", f"request body exceeds {max_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise ApiError(413, "payload_too_large", f"request body exceeds {max_bytes} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw:
        raise ApiError(400, "bad_request", "request body is empty; expected a JSON object")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "bad_request", f"request body is not valid JSON: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422, "validation_failed", "request body failed validation", validation_fields(exc)
        ) from None


@dataclass
class ApiRouter:
    """Collects typed endpoints; ``routes`` go to Starlette, ``operations`` to OpenAPI."""

    tags: tuple[str, ...] = ()
    max_body: int = DEFAULT_MAX_BODY
    routes: list[Route] = field(default_factory=list)
    operations: list[Operation] = field(default_factory=list)

    def get(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._register("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._register("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._register("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._register("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[Handler], Handler]:
        return self._register("DELETE", path, **options)

    def _register(
        self,
        method: str,
        path: str,
        *,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        secured: bool = True,
        max_body: int | None = None,
        summary: str | None = None,
        errors: tuple[int, ...] = (),
    ) -> Callable[[Handler], Handler]:
        """Register ``handler(request[, body])``; it returns a model, a Response or None."""
        limit = max_body or self.max_body

        def decorate(handler: Handler) -> Handler:
            async def endpoint(request: Request) -> Response:
                if body is not None:
                    parsed = await read_json_body(request, body, limit)
                    result = await handler(request, parsed)
                else:
                    result = await handler(request)
                if isinstance(result, Response):
                    return result
                if result is None:
                    return Response(status_code=204 if status == 200 else status)
                if isinstance(result, BaseModel):
                    return JSONResponse(result.model_dump(mode="json"), status_code=status)
                return JSONResponse(result, status_code=status)

            name = handler.__name__
            self.routes.append(Route(path, endpoint, methods=[method], name=name))
            doc = inspect.getdoc(handler) or name.replace("_", " ")
            self.operations.append(
                Operation(
                    method=method,
                    path=path,
                    name=name,
                    summary=summary or doc.splitlines()[0],
                    tags=self.tags,
                    body=body,
                    response=response,
                    status=status,
                    secured=secured,
                    errors=errors,
                )
            )
            return handler

        return decorate
