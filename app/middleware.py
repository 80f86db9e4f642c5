"""Stateless ASGI middleware: request id, access log and HTTP metrics."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics import HttpMetrics

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware"]

REQUEST_ID_HEADER = "x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_log = structlog.get_logger("brainhost.http")


def _route_template(scope: Scope) -> str:
    """The matched route's path template, so metric labels stay bounded.

    Starlette's router leaves the route it chose in ``scope["route"]``; when that is one of
    the app's own routes its template is the answer at no cost. Otherwise (a mounted app's
    inner route, or no match) the app's routes are matched again to find the mount.
    """
    app = scope.get("app")
    routes = getattr(getattr(app, "router", None), "routes", ())
    chosen = scope.get("route")
    if chosen is not None and any(route is chosen for route in routes):
        return str(getattr(chosen, "path", "unmatched"))
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(getattr(route, "path", "unmatched"))
    return "unmatched"


class RequestContextMiddleware:
    """Gives each HTTP request an id (accepting a sane ``X-Request-ID``), logs and measures it."""

    def __init__(self, app: ASGIApp, metrics: HttpMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        if scope["type"] == "websocket":
            try:
                await self.app(scope, receive, send)
            finally:
                structlog.contextvars.unbind_contextvars("request_id")
            return

        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope.get("method", "")
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            _log.info(
                "request",
                method=method,
                path=scope.get("path", ""),
                status=status,
                duration_ms=round(elapsed * 1000, 3),
            )
            structlog.contextvars.unbind_contextvars("request_id")
