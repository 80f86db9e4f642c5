"""Health, readiness, metrics, request ids, error bodies and the OpenAPI document."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette

from app import __version__
from app.main import create_app
from app.settings import Settings


async def test_health_reports_status_version_and_uptime(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["uptime_s"] >= 0


async def test_ready_is_200_once_the_actor_system_runs(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


async def test_ready_is_503_before_startup(settings: Settings) -> None:
    app = create_app(settings)  # lifespan never ran
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/v1/ready")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"


async def test_ready_is_503_after_shutdown(settings: Settings) -> None:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        pass
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/v1/ready")).status_code == 503


async def test_every_response_carries_a_generated_request_id(client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/health")).headers["x-request-id"]
    second = (await client.get("/v1/health")).headers["x-request-id"]
    assert first and second and first != second


async def test_a_sane_incoming_request_id_is_kept(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_an_unsafe_incoming_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert response.headers["x-request-id"] != "bad id\nwith newline"
    assert len(response.headers["x-request-id"]) == 32


async def test_unknown_path_answers_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


async def test_wrong_method_answers_json_405(client: httpx.AsyncClient) -> None:
    response = await client.post("/v1/health")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


async def test_metrics_expose_request_counts_latency_and_actor_figures(
    client: httpx.AsyncClient,
) -> None:
    await client.get("/v1/health")
    text = (await client.get("/metrics")).text
    assert 'brainhost_http_requests_total{method="GET",route="/v1/health",status="200"}' in text
    assert "brainhost_http_request_seconds_bucket" in text
    assert "brainhost_actors " in text
    assert "brainhost_mailbox_depth " in text
    assert "brainhost_actor_restarts " in text


async def test_metrics_label_by_route_template_not_raw_path(client: httpx.AsyncClient) -> None:
    await client.get("/v1/unknown/12345")
    text = (await client.get("/metrics")).text
    assert "12345" not in text
    assert 'route="unmatched"' in text


async def test_openapi_document_is_3_1_and_generated_from_models(
    client: httpx.AsyncClient, app: Starlette
) -> None:
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"] == "3.1.0"
    health = doc["paths"]["/v1/health"]["get"]
    assert health["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }
    assert set(doc["components"]["schemas"]["Health"]["properties"]) == {
        "status",
        "version",
        "uptime_s",
        "kernels",
    }
    assert "ErrorBody" in doc["components"]["schemas"]


async def test_docs_page_is_served(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert "/openapi.json" in response.text
