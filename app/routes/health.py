"""Liveness, readiness and metrics."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import __version__
from app.endpoint import ApiRouter
from app.errors import error_response
from brains.warmup import WarmupState

__all__ = ["api", "metrics_endpoint"]

api = ApiRouter(tags=("system",))


class Health(BaseModel):
    status: str
    version: str
    uptime_s: float
    kernels: WarmupState = Field(
        description="The burst kernels: loading (brain requests wait for them), ready, or "
        "failed (logged as kernels.load_failed; brain requests then fail on their own)."
    )


class Ready(BaseModel):
    status: str


@api.get("/v1/health", response=Health, secured=False)
async def health(request: Request) -> Health:
    """Liveness: the process answers. Also says whether the burst kernels are loaded."""
    services = getattr(request.app.state, "services", None)
    started = services.started_at if services is not None else request.app.state.created_at
    return Health(
        status="ok",
        version=__version__,
        uptime_s=round(time.monotonic() - started, 3),
        kernels=services.kernels.state if services is not None else "loading",
    )


@api.get("/v1/ready", response=Ready, secured=False, errors=(503,))
async def ready(request: Request) -> Ready | JSONResponse:
    """Readiness: 200 once the actor system and storage are up, 503 before and while stopping."""
    services = getattr(request.app.state, "services", None)
    if services is None or not services.ready:
        return error_response(503, "unavailable", "the service is starting or stopping")
    return Ready(status="ready")


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus exposition of this app's registry."""
    body = generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
