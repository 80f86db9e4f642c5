"""``create_app(settings)``: the Starlette application and its lifespan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from app import __version__
from app.errors import exception_handlers
from app.feagi import FeagiApp
from app.metrics import ActorSystemCollector, HttpMetrics
from app.middleware import RequestContextMiddleware
from app.openapi import build_openapi
from app.routes import ROUTERS
from app.routes.health import metrics_endpoint
from app.services import build_services
from app.settings import Settings
from app.ws import websocket_route

__all__ = ["create_app"]

_log = structlog.get_logger("brainhost.app")

_DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>brainhost API</title>
<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}
code{background:#f3f3f3;padding:0 .3em}h2{margin-top:1.5em}td{padding:.2em .8em}</style>
</head><body><h1>brainhost API</h1>
<p>Machine-readable document: <a href="/openapi.json"><code>/openapi.json</code></a>
(OpenAPI 3.1).</p><div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const rows = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const codes = Object.keys(op.responses).join(', ');
      rows.push(`<tr><td><code>${method.toUpperCase()}</code></td><td><code>${path}</code></td>` +
        `<td>${op.summary || ''}</td><td>${op.security ? 'bearer' : 'public'}</td>` +
        `<td>${codes}</td></tr>`);
    }
  }
  document.getElementById('ops').innerHTML =
    '<table><tr><th>method</th><th>path</th><th>summary</th><th>auth</th><th>answers</th></tr>' +
    rows.join('') + '</table>';
});
</script></body></html>"""


def create_app(settings: Settings) -> Starlette:
    """Build the app; nothing starts until the ASGI lifespan runs."""
    registry = CollectorRegistry()
    http_metrics = HttpMetrics.create(registry)
    operations = [op for router in ROUTERS for op in router.operations]
    openapi = build_openapi(operations, title="brainhost", version=__version__)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        started = time.perf_counter()
        services = await build_services(settings)
        app.state.services = services
        _log.info(
            "ready",
            host=settings.host,
            port=settings.port,
            data_dir=str(settings.data_dir),
            startup_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        # Only now: the load holds the GIL most of the time, so it would slow start-up.
        services.kernels.start()
        try:
            yield
        finally:
            _log.info("stopping")
            await services.aclose()
            _log.info("stopped")

    async def openapi_endpoint(request: Request) -> JSONResponse:
        return JSONResponse(openapi)

    async def docs_endpoint(request: Request) -> HTMLResponse:
        return HTMLResponse(_DOCS_PAGE)

    routes: list[BaseRoute] = [route for router in ROUTERS for route in router.routes]
    routes += [
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Route("/openapi.json", openapi_endpoint, methods=["GET"]),
        Route("/docs", docs_endpoint, methods=["GET"]),
    ]
    routes.append(websocket_route())
    # First: FEAGI clients poll (burst_engine/stats), and no other route starts with /feagi/,
    # so its requests need not be matched against every API route before the mount.
    routes.insert(0, Mount("/feagi/{key}", app=FeagiApp()))
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers=exception_handlers(),
        middleware=[Middleware(RequestContextMiddleware, metrics=http_metrics)],
    )
    app.state.settings = settings
    app.state.metrics_registry = registry
    app.state.created_at = time.monotonic()
    app.state.services = None
    registry.register(ActorSystemCollector(lambda: _actor_system(app)))
    return app


def _actor_system(app: Starlette) -> Any:
    services = app.state.services
    return services.actors if services is not None else None
