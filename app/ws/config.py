"""The limits of one websocket connection, from the ``BRAINHOST_WS_*`` settings."""

from __future__ import annotations

from dataclasses import dataclass

from app.settings import Settings
from tenancy.auth import RateLimit

__all__ = ["WsConfig"]

_DEFAULT_COMMAND_RATE = RateLimit(20, 1.0)


@dataclass(frozen=True, slots=True)
class WsConfig:
    """The limits of one websocket connection (from ``BRAINHOST_WS_*`` settings)."""

    max_message: int = 1_048_576
    heartbeat_s: float = 30.0
    send_queue: int = 256
    command_rate: RateLimit = _DEFAULT_COMMAND_RATE
    max_subscriptions: int = 128

    @classmethod
    def from_settings(cls, settings: Settings) -> WsConfig:
        count, _, period = settings.ws_command_rate.partition("/")
        return cls(
            max_message=settings.ws_max_message,
            heartbeat_s=settings.ws_heartbeat_s,
            send_queue=settings.ws_send_queue,
            command_rate=RateLimit(int(count), float(period)),
            max_subscriptions=settings.ws_max_subscriptions,
        )
