"""Typed endpoints: JSON parsing, size limits and validation errors in the API's error shape."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import Request

from app.endpoint import ApiRouter
from app.errors import exception_handlers


class Greeting(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    times: int = Field(1, ge=1, le=3)


class Reply(BaseModel):
    text: str


router = ApiRouter(tags=("test",), max_body=256)


@router.post("/greet", body=Greeting, response=Reply, status=201)
async def greet(request: Request, body: Greeting) -> Reply:
    """Greet someone."""
    return Reply(text=" ".join([f"hello {body.name}"] * body.times))


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=router.routes, exception_handlers=exception_handlers())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_a_valid_body_reaches_the_handler_and_the_model_is_rendered(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/greet", json={"name": "ada", "times": 2})
    assert response.status_code == 201
    assert response.json() == {"text": "hello ada hello ada"}


async def test_invalid_json_is_a_400_naming_the_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/greet", content=b"{not json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


async def test_an_empty_body_is_a_400(client: httpx.AsyncClient) -> None:
    response = await client.post("/greet", content=b"")
    assert response.status_code == 400


async def test_a_model_violation_is_a_422_listing_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/greet", json={"name": "", "times": 9})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert set(error["fields"]) == {"name", "times"}


async def test_a_body_over_the_limit_is_a_413_even_without_content_length(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 64

    response = await client.post("/greet", content=chunks())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_a_declared_length_over_the_limit_is_refused_before_reading(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/greet", content=b"{" + b" " * 400 + b"}")
    assert response.status_code == 413


def test_operations_record_models_for_openapi() -> None:
    (operation,) = router.operations
    assert (operation.method, operation.path, operation.status) == ("POST", "/greet", 201)
    assert operation.body is Greeting and operation.response is Reply
    assert operation.summary == "Greet someone."
