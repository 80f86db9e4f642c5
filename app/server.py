"""uvicorn, configured for brainhost: graceful exit 0 on SIGTERM/SIGINT, cold start logged."""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from starlette.applications import Starlette

from app.settings import Settings

__all__ = ["Server", "server_config"]

_GRACEFUL_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def server_config(app: Starlette, settings: Settings) -> uvicorn.Config:
    """uvicorn settings: our logging, no access log, no websocket compression by default."""
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        lifespan="on",
        # C parsers and event loop: uvloop + httptools cost a fraction of asyncio + h11 per
        # request, which is most of what a small authenticated GET spends.
        loop="uvloop",
        http="httptools",
        log_config=None,
        access_log=False,
        # uvicorn's websockets-sansio protocol (faster than the legacy "websockets" one;
        # wsproto is not installed) plus an ASGI extension that writes an event's frame,
        # serialized once, to every subscriber without framing it per connection.
        ws="app.ws.server_protocol:FramesWebSocketProtocol",
        ws_per_message_deflate=False,
        # uvicorn refuses a larger frame (1009) before buffering it (its default is 16 MiB).
        ws_max_size=settings.ws_max_message,
        timeout_graceful_shutdown=max(1, int(settings.shutdown_timeout_s)),
        server_header=False,
    )


class Server(uvicorn.Server):
    """A uvicorn server whose shutdown on a signal is a normal, successful exit.

    uvicorn re-raises a captured SIGTERM after its graceful shutdown so the process dies of
    the signal; a service manager then records a failure. We drain and exit 0 instead.
    """

    def __init__(self, config: uvicorn.Config, *, process_started: float, log: Any) -> None:
        super().__init__(config)
        self._process_started = process_started
        self._log = log

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _GRACEFUL_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._log.info(
                "listening",
                url=f"http://{self.config.host}:{self.config.port}",
                cold_start_ms=round((time.perf_counter() - self._process_started) * 1000, 1),
            )
