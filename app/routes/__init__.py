"""Every HTTP router of the app, in registration order."""

from __future__ import annotations

from app.endpoint import ApiRouter
from app.feagi import keys_routes as feagi_key_routes
from app.routes import auth as auth_routes
from app.routes import brains as brain_routes
from app.routes import health
from app.routes import workspaces as workspace_routes

__all__ = ["ROUTERS"]

ROUTERS: list[ApiRouter] = [
    health.api,
    auth_routes.api,
    workspace_routes.api,
    brain_routes.api,
    feagi_key_routes.api,
]
