"""The OpenAPI 3.1 document, generated from the routes' pydantic models (never hand-written)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.endpoint import Operation

__all__ = ["ErrorBody", "build_openapi"]

_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]+)?}")


class ErrorDetail(BaseModel):
    code: str
    message: str
    fields: dict[str, Any] | None = None


class ErrorBody(BaseModel):
    """Every error answer of the API."""

    error: ErrorDetail


def _openapi_path(path: str) -> str:
    return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", path)


def build_openapi(operations: Iterable[Operation], *, title: str, version: str) -> dict[str, Any]:
    """Assemble the document for ``operations``; schemas land in ``components.schemas``."""
    ops = list(operations)
    models: set[type[BaseModel]] = {ErrorBody}
    for op in ops:
        models.update(m for m in (op.body, op.response) if m is not None)
    mode_pairs: list[tuple[type[BaseModel], Literal["validation", "serialization"]]] = [
        (model, "validation") for model in sorted(models, key=lambda m: m.__name__)
    ]
    refs, definitions = models_json_schema(
        mode_pairs, ref_template="#/components/schemas/{model}"
    )
    ref_of = {model: refs[(model, mode)] for model, mode in mode_pairs}
    error_ref = ref_of[ErrorBody]

    paths: dict[str, dict[str, Any]] = {}
    for op in ops:
        path = _openapi_path(op.path)
        entry: dict[str, Any] = {
            "operationId": op.name,
            "summary": op.summary,
            "tags": list(op.tags),
            "responses": {},
        }
        params = _PATH_PARAM.findall(op.path)
        if params:
            entry["parameters"] = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in params
            ]
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref_of[op.body]}},
            }
        success: dict[str, Any] = {"description": "success"}
        if op.response is not None:
            success["content"] = {"application/json": {"schema": ref_of[op.response]}}
        entry["responses"][str(op.status)] = success
        error_statuses = set(op.errors)
        if op.body is not None:
            error_statuses.update({400, 413, 422})
        if op.secured:
            error_statuses.add(401)
            entry["security"] = [{"bearer": []}]
        for status in sorted(error_statuses):
            entry["responses"][str(status)] = {
                "description": "error",
                "content": {"application/json": {"schema": error_ref}},
            }
        paths.setdefault(path, {})[op.method.lower()] = entry

    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
