"""The ``/v1/ws`` websocket: live brain and workspace events, brain commands.

Mount `websocket_route()`; the wire protocol is documented in `app.ws.protocol`.
"""

from app.ws.config import WsConfig
from app.ws.connection import (
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_POLICY,
    CLOSE_UNAUTHENTICATED,
    Connection,
    frame_cache,
)
from app.ws.endpoint import WebsocketEndpoint, websocket_endpoint, websocket_route
from app.ws.handshake import Credentials, install_token_redaction, websocket_credentials
from app.ws.protocol import FrameCache, ProtocolError, Topic, parse_client_message, parse_topic

__all__ = [
    "CLOSE_MESSAGE_TOO_BIG",
    "CLOSE_POLICY",
    "CLOSE_UNAUTHENTICATED",
    "Connection",
    "Credentials",
    "FrameCache",
    "ProtocolError",
    "Topic",
    "WebsocketEndpoint",
    "WsConfig",
    "frame_cache",
    "install_token_redaction",
    "parse_client_message",
    "parse_topic",
    "websocket_credentials",
    "websocket_endpoint",
    "websocket_route",
]
