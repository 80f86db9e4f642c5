"""Every HTTP router of the app, in registration order."""

from __future__ import annotations

from app.endpoint import ApiRouter
from app.routes import health

__all__ = ["ROUTERS"]

ROUTERS: list[ApiRouter] = [
    health.api,
]
