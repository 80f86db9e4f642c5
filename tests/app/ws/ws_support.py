"""Helpers for the websocket tests: the live server handle, tenants, and frame I/O."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from actors import EventHub
from app.settings import Settings

_unique = itertools.count()


@dataclass
class Tenant:
    """A logged-in user with one workspace of their own."""

    token: str
    user: dict[str, Any]
    workspace_id: str
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class LiveServer:
    app: Starlette
    settings: Settings
    base_url: str
    http: httpx.AsyncClient
    mailbox: Any
    fx: Any

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/v1/ws"

    @property
    def services(self) -> Any:
        return self.app.state.services

    @property
    def hub(self) -> EventHub:
        hub: EventHub = self.services.actors.events
        return hub

    async def tenant(self, name: str = "user") -> Tenant:
        """Log in a fresh user over HTTP and create a workspace for them."""
        address = f"ws-{name}-{next(_unique)}@example.org"
        body = await self.fx.login(self.http, self.mailbox, address)
        headers = self.fx.bearer(body["access_token"])
        created = await self.http.post(
            "/v1/workspaces",
            json={"name": f"{name} space", "slug": f"ws-{name}-{next(_unique)}"},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        return Tenant(body["access_token"], body["user"], created.json()["id"], headers)

    async def join(self, tenant: Tenant, owner: Tenant) -> None:
        """Seat ``tenant`` as a member of ``owner``'s workspace."""
        seated = await self.http.post(
            f"/v1/workspaces/{owner.workspace_id}/members",
            json={"email": tenant.user["email"], "role": "member"},
            headers=owner.headers,
        )
        assert seated.status_code == 201, seated.text

    def connect(self, token: str | None = None, **kwargs: Any) -> Any:
        """A `websockets` client connection (async context manager)."""
        if token is not None:
            kwargs.setdefault("additional_headers", {"Authorization": f"Bearer {token}"})
        kwargs.setdefault("open_timeout", 5)
        kwargs.setdefault("close_timeout", 2)
        return connect(kwargs.pop("url", self.ws_url), **kwargs)


async def recv(
    ws: ClientConnection, *, within: float = 5.0, skip: tuple[str, ...] = ("heartbeat",)
) -> dict[str, Any]:
    """The next server frame, decoded (heartbeats skipped unless asked for)."""
    while True:
        raw = await asyncio.wait_for(ws.recv(), within)
        document: dict[str, Any] = orjson.loads(raw)
        if document.get("type") not in skip:
            return document


async def send(ws: ClientConnection, document: dict[str, Any]) -> None:
    await ws.send(orjson.dumps(document).decode())


async def settled(ws: ClientConnection) -> list[dict[str, Any]]:
    """Every frame that arrives before the answer to a ping (the server answers in order)."""
    await send(ws, {"type": "ping"})
    frames = []
    while True:
        document = await recv(ws)
        if document["type"] == "pong":
            return frames
        frames.append(document)


async def subscribe(ws: ClientConnection, topic: str, **extra: Any) -> dict[str, Any]:
    await send(ws, {"type": "subscribe", "topic": topic, **extra})
    return await recv(ws)


async def eventually(check: Callable[[], bool | Awaitable[bool]], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)
