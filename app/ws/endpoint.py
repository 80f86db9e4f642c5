"""``GET /v1/ws``: authenticate the handshake, create the default brains, serve a `Connection`.

A bad, expired or revoked token (or none) is answered by accepting the handshake and closing
at once with 4401 before any data: a browser cannot read an HTTP status from a refused
websocket handshake, but it can read a close code.
"""

from __future__ import annotations

from typing import Any

import structlog
from starlette.routing import WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from app.ws.config import WsConfig
from app.ws.connection import (
    CLOSE_UNAUTHENTICATED,
    CLOSE_UNAVAILABLE,
    BrainHostPort,
    Connection,
)
from app.ws.handshake import install_token_redaction, websocket_credentials
from app.ws.server_protocol import FRAMES_EXTENSION, FrameWriter
from tenancy.auth import Principal
from tenancy.errors import TenancyError

__all__ = ["WebsocketEndpoint", "websocket_endpoint", "websocket_route"]

_log = structlog.get_logger("brainhost.ws")


class WebsocketEndpoint:
    """The ASGI app of ``GET /v1/ws`` (see `websocket_endpoint`)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await websocket_endpoint(WebSocket(scope, receive, send), asgi_send=send)


async def websocket_endpoint(websocket: WebSocket, *, asgi_send: Send | None = None) -> None:
    """``GET /v1/ws``: authenticate the handshake, then serve a `Connection`."""
    credentials = websocket_credentials(
        websocket.headers, websocket.scope.get("subprotocols", []), websocket.scope["query_string"]
    )
    services: Any = getattr(websocket.app.state, "services", None)
    host: BrainHostPort | None = getattr(services, "brains", None)
    if host is None or getattr(services, "auth", None) is None:
        await websocket.accept(subprotocol=credentials.subprotocol)
        await websocket.close(CLOSE_UNAVAILABLE, "the service is starting or stopping")
        return
    principal: Principal | None = None
    problem = "send a token: 'Authorization: Bearer', subprotocol 'bearer, <token>' or ?token="
    if credentials.token is not None:
        try:
            principal = await services.auth.authenticate(credentials.token)
        except TenancyError as exc:
            problem = exc.message
    if principal is None:
        _log.info("ws_unauthenticated", source=credentials.source, reason=problem)
        await websocket.accept(subprotocol=credentials.subprotocol)
        await websocket.close(CLOSE_UNAUTHENTICATED, problem[:120])
        return
    await _ensure_default_brains(host, services, principal.user_id)
    config = _config_of(websocket.app)
    await websocket.accept(subprotocol=credentials.subprotocol)
    connection = Connection(
        websocket,
        principal=principal,
        services=services,
        config=config,
        hub=services.actors.events,
        host=host,
        asgi_send=asgi_send,
        write_frames=_frame_writer(websocket.scope),
    )
    _log.info("ws_open", connection=connection.id, user_id=principal.user_id)
    try:
        await connection.serve()
    finally:
        _log.info("ws_closed", connection=connection.id, code=connection.close_code)


async def _ensure_default_brains(host: BrainHostPort, services: Any, user_id: str) -> None:
    """Give each of the caller's workspaces its default brain if it has none yet."""
    try:
        memberships = await services.workspaces.list_for(user_id)
    except Exception as exc:  # the store being unreachable must not refuse the socket either
        _log.warning("ws_default_brain_failed", user_id=user_id, error=repr(exc))
        return
    for membership in memberships:
        workspace_id = membership.workspace.id
        try:
            await host.ensure_default_brain(workspace_id)
        except Exception as exc:  # a quota or a store problem must not refuse the socket
            _log.warning("ws_default_brain_failed", workspace_id=workspace_id, error=repr(exc))


def _frame_writer(scope: Scope) -> FrameWriter | None:
    """The server's `FrameWriter` (``app.ws.server_protocol``), if it offers one."""
    extension = (scope.get("extensions") or {}).get(FRAMES_EXTENSION)
    write: FrameWriter | None = extension.get("write") if isinstance(extension, dict) else None
    return write


def _config_of(app: Any) -> WsConfig:
    config = getattr(app.state, "ws_config", None)
    if not isinstance(config, WsConfig):
        config = WsConfig.from_settings(app.state.settings)
        app.state.ws_config = config
    return config


def websocket_route(path: str = "/v1/ws") -> WebSocketRoute:
    """The route to mount; also keeps ``?token=`` values out of uvicorn's log lines."""
    install_token_redaction()
    return WebSocketRoute(path, WebsocketEndpoint(), name="websocket")
