"""uvicorn's websockets-sansio protocol plus one ASGI extension: writing pre-built frames.

An event frame is the same bytes for every subscriber, so `FrameCache` serializes it once per
event; ASGI's ``websocket.send`` would have the websockets library frame it again for every
connection, which was about half of the CPU a delivery cost. This protocol (``ws=`` of
``app.server.server_config``) adds the ``brainhost.websocket.frames`` extension to the
websocket scope: ``scope["extensions"]["brainhost.websocket.frames"]["write"]`` is a
`FrameWriter`; it is not offered when the client negotiated an extension that rewrites
frames (permessage-deflate). Everything else is uvicorn's, unchanged, and the app falls back
to ``websocket.send`` without the extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

__all__ = ["FRAMES_EXTENSION", "FrameWriter", "FramesWebSocketProtocol"]

FRAMES_EXTENSION = "brainhost.websocket.frames"


class FrameWriter(Protocol):
    """Writes already-serialized websocket frames to one connection's socket."""

    def __call__(self, frames: Sequence[bytes], /) -> bool:
        """Write ``frames`` now, in order, and say True; or write nothing and say False when
        the socket cannot take them now (not open, closing, or its write buffer over the
        high-water mark): then send through ``websocket.send``, which waits as usual."""
        ...


class FramesWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's websockets-sansio protocol with the ``brainhost.websocket.frames`` extension."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # Not offered when an extension (e.g. permessage-deflate) rewrites every frame: the
        # app then sends through ``websocket.send``.
        if self.response.status_code == 101 and not self.conn.extensions:
            # The app's task is created but has not started: it sees the extension.
            extensions = self.scope.setdefault("extensions", {})
            extensions[FRAMES_EXTENSION] = {"write": self.write_frames}

    def write_frames(self, frames: Sequence[bytes]) -> bool:
        """A `FrameWriter`: bypasses the websockets library's per-connection framing."""
        if (
            self.close_sent
            or self.disconnected
            or not self.writable.is_set()  # uvicorn's own send would wait for the buffer
            or self.conn.state is not State.OPEN  # before the handshake, or closing
            or self.transport.is_closing()
        ):
            return False
        if len(frames) == 1:
            self.transport.write(frames[0])
        else:
            self.transport.writelines(frames)
        return True
