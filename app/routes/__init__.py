"""Every HTTP router of the app, in registration order."""

from __future__ import annotations

from app.endpoint import ApiRouter
from app.routes import auth as auth_routes
from app.routes import health
from app.routes import workspaces as workspace_routes

__all__ = ["ROUTERS"]

ROUTERS: list[ApiRouter] = [
    health.api,
    auth_routes.api,
    workspace_routes.api,
]
