"""Handshake authentication: three ways to present a token, 4401 for every bad one."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import tenancy_fixtures
from websockets.exceptions import ConnectionClosed
from ws_support import LiveServer, recv, send

from tenancy.auth import AccessTokenCodec


async def assert_pong(ws: Any) -> None:
    await send(ws, {"type": "ping"})
    assert await recv(ws) == {"type": "pong"}


async def test_a_bearer_header_authenticates(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        assert ws.subprotocol is None
        await assert_pong(ws)


async def test_a_bearer_subprotocol_authenticates_and_only_bearer_is_echoed(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    async with server.connect(subprotocols=["bearer", tenant.token]) as ws:
        assert ws.subprotocol == "bearer"
        await assert_pong(ws)


async def test_a_token_query_parameter_authenticates(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(url=f"{server.ws_url}?token={tenant.token}") as ws:
        await assert_pong(ws)


async def _expired_token(server: LiveServer, tenant: Any) -> str:
    live: AccessTokenCodec = server.services.auth.codec
    past = AccessTokenCodec(
        live.ring,
        issuer=live.issuer,
        audience=live.audience,
        ttl_s=live.ttl_s,
        leeway_s=live.leeway_s,
        clock=lambda: 1_000_000_000.0,
    )
    token, _ = past.issue(
        user_id=tenant.user["id"], email=tenant.user["email"], session_id="fam_x", workspaces={}
    )
    return token


async def _bad_token(server: LiveServer, kind: str) -> str | None:
    if kind == "missing":
        return None
    if kind == "malformed":
        return "not.a.jwt"
    tenant = await server.tenant()
    if kind == "expired":
        return await _expired_token(server, tenant)
    assert kind == "revoked"
    logout = await server.http.post("/v1/auth/logout", headers=tenant.headers)
    assert logout.status_code == 204
    return tenant.token


def _connect_with(server: LiveServer, token: str | None, source: str) -> Any:
    if source == "header":
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        return server.connect(additional_headers=headers)
    if source == "subprotocol":
        offered = ["bearer", token] if token is not None else ["bearer"]
        return server.connect(subprotocols=offered)
    query = f"?token={token}" if token is not None else ""
    return server.connect(url=server.ws_url + query)


@pytest.mark.parametrize("source", ["header", "subprotocol", "query"])
@pytest.mark.parametrize("kind", ["missing", "malformed", "expired", "revoked"])
async def test_a_bad_token_closes_with_4401_before_any_data(
    server: LiveServer, kind: str, source: str
) -> None:
    token = await _bad_token(server, kind)
    async with _connect_with(server, token, source) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            message = await asyncio.wait_for(ws.recv(), 5)
            pytest.fail(f"received data before the close: {message!r}")
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401
        if source == "subprotocol":
            assert ws.subprotocol == "bearer"


async def test_the_socket_closes_with_4401_when_the_token_expires(server: LiveServer) -> None:
    tenant = await server.tenant()
    live: AccessTokenCodec = server.services.auth.codec
    expires_in = 1.5
    soon = AccessTokenCodec(
        live.ring,
        issuer=live.issuer,
        audience=live.audience,
        ttl_s=live.ttl_s,
        leeway_s=0,
        clock=lambda: time.time() - live.ttl_s + expires_in,
    )
    token, _ = soon.issue(
        user_id=tenant.user["id"], email=tenant.user["email"], session_id="fam_s", workspaces={}
    )
    async with server.connect(token) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                await recv(ws, within=5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4401
        assert "expired" in closed.value.rcvd.reason


async def test_tokens_never_reach_the_logs(server: LiveServer) -> None:
    tenant = await server.tenant()
    captured_logs = tenancy_fixtures.captured_logs
    with captured_logs() as lines:
        async with server.connect(url=f"{server.ws_url}?token={tenant.token}") as ws:
            await assert_pong(ws)
        async with server.connect(subprotocols=["bearer", tenant.token]) as ws:
            await assert_pong(ws)
        async with server.connect(url=f"{server.ws_url}?token={tenant.token}x") as ws:
            with pytest.raises(ConnectionClosed):
                await recv(ws)
    # The `websockets` client is the test's stand-in for a remote browser: its logs are not ours.
    ours = [line for line in lines if not line.startswith("websockets.client")]
    accepted = [line for line in ours if line.startswith("uvicorn") and "accepted" in line]
    with_query = [line for line in accepted if "?token=" in line]
    assert len(with_query) == 2, accepted
    assert all("?token=[redacted]" in line for line in with_query), with_query
    signature = tenant.token.rsplit(".", 1)[-1]
    assert not [line for line in ours if signature in line]


async def test_compression_is_not_negotiated_even_when_the_client_offers_it(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token, compression="deflate") as ws:
        assert ws.request.headers.get("Sec-WebSocket-Extensions"), "the client offered it"
        assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
        await assert_pong(ws)
