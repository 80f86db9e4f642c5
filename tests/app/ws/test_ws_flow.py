"""Liveness and limits: heartbeat, ping, malformed input, size limit, command rate, slow clients."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest
from websockets.exceptions import ConnectionClosed
from ws_support import LiveServer, eventually, recv, send, settled, subscribe


async def closed_code(ws: Any) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await recv(ws, within=10)
    assert closed.value.rcvd is not None, "the server sent no close frame"
    code: int = closed.value.rcvd.code
    return code


async def test_ping_is_answered_with_pong(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await send(ws, {"type": "ping"})
        assert await recv(ws) == {"type": "pong"}


@pytest.mark.ws_env(BRAINHOST_WS_HEARTBEAT_S="0.1")
async def test_heartbeats_arrive_at_the_configured_interval(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        for _ in range(3):
            assert await recv(ws, skip=(), within=5) == {"type": "heartbeat"}


@pytest.mark.parametrize(
    ("raw", "code", "named"),
    [
        ("{not json", "invalid_json", "JSON"),
        ("[1, 2]", "invalid_message", "object"),
        ('{"type": "shout"}', "unknown_type", "'shout'"),
        ('{"kind": "ping"}', "unknown_type", "None"),
        ('{"type": "subscribe"}', "invalid_message", "topic"),
        (
            '{"type": "subscribe", "topic": "workspace:x", "since_seq": -1}',
            "invalid_message",
            "since_seq",
        ),
        ('{"type": "ping", "extra": 1}', "invalid_message", "extra"),
        ('{"type": "command", "id": "c1", "brain": "b"}', "invalid_message", "command"),
    ],
)
async def test_malformed_input_gets_an_error_and_the_connection_stays(
    server: LiveServer, raw: str, code: str, named: str
) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await ws.send(raw)
        error = await recv(ws)
        assert error["type"] == "error" and error["code"] == code
        assert named in error["message"]
        await send(ws, {"type": "ping"})
        assert await recv(ws) == {"type": "pong"}


async def test_an_error_about_a_command_echoes_its_id(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await send(ws, {"type": "command", "id": "c-7", "brain": "b", "command": "", "args": {}})
        error = await recv(ws)
        assert error["code"] == "invalid_message" and error["id"] == "c-7"


async def test_binary_frames_carrying_json_are_understood(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await ws.send(orjson.dumps({"type": "ping"}))
        assert await recv(ws) == {"type": "pong"}


@pytest.mark.ws_env(BRAINHOST_WS_MAX_MESSAGE="2048")
async def test_a_frame_over_the_limit_closes_with_1009(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await ws.send("x" * 2048)  # exactly the limit: parsed (and rejected as bad JSON)
        assert (await recv(ws))["code"] == "invalid_json"
        await ws.send('{"type":"ping","pad":"' + "é" * 1100 + '"}')  # 2,2xx bytes, < 2048 chars
        assert await closed_code(ws) == 1009


@pytest.mark.ws_env(BRAINHOST_WS_MAX_MESSAGE="2048")
@pytest.mark.uvicorn(ws_max_size=2048)
async def test_the_1009_close_holds_when_uvicorn_enforces_the_limit_itself(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await ws.send(b"x" * 5000)
        assert await closed_code(ws) == 1009


@pytest.mark.ws_env(BRAINHOST_WS_COMMAND_RATE="3/60")
async def test_commands_beyond_the_rate_get_rate_limited(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        for n in range(4):
            await send(
                ws, {"type": "command", "id": n, "brain": "br_x", "command": "stats", "args": {}}
            )
        frames = [await recv(ws) for _ in range(4)]  # replies come as commands finish
        limited = [f for f in frames if f["type"] == "error"]
        replies = [f for f in frames if f["type"] == "reply"]
        assert sorted(f["id"] for f in replies) == [0, 1, 2]
        assert len(limited) == 1 and limited[0]["code"] == "rate_limited"
        assert limited[0]["id"] == 3 and "BRAINHOST_WS_COMMAND_RATE" in limited[0]["message"]
        await send(ws, {"type": "ping"})
        assert await recv(ws) == {"type": "pong"}, "pings are not rate-limited"


# ----------------------------------------------------------------------------- slow clients


@pytest.mark.ws_env(BRAINHOST_WS_SEND_QUEUE="8")
async def test_a_client_that_falls_behind_loses_the_oldest_events_and_is_told(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        await subscribe(ws, topic)
        # Published in one go: the connection's sender cannot run in between.
        seqs = [server.hub.publish(topic, {"event": "tick", "data": n}).seq for n in range(12)]
        frames = await settled(ws)
        assert frames[0] == {"type": "dropped", "topic": topic, "count": 4}
        assert [f["seq"] for f in frames[1:]] == seqs[4:]


@pytest.mark.ws_env(BRAINHOST_WS_SEND_QUEUE="8")
async def test_a_client_that_stays_behind_is_closed_with_1008(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        await subscribe(ws, topic)
        for n in range(8 + 9):  # 9 lost: more than a queue's worth without catching up
            server.hub.publish(topic, {"event": "tick", "data": n})
        assert await closed_code(ws) == 1008
    await eventually(lambda: server.hub.statistics().subscribers == 0)


@pytest.mark.ws_env(BRAINHOST_WS_SEND_QUEUE="64", BRAINHOST_WS_HEARTBEAT_S="0.5")
@pytest.mark.loop_lag(max_ms=1000)
async def test_a_client_that_stops_reading_never_stalls_another_and_is_cut_off(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    blob = "x" * 128 * 1024
    count = 200  # 25 MiB: more than the kernel and client buffers of the stuck client hold
    async with (
        server.connect(tenant.token, max_queue=1, max_size=None) as stuck,
        server.connect(tenant.token, max_size=None) as fast,
    ):
        await subscribe(stuck, topic)
        await subscribe(fast, topic)
        received: list[int] = []

        async def read_fast() -> None:
            while len(received) < count:
                document = await recv(fast, within=10)
                assert document["type"] == "event", document
                received.append(document["data"]["n"])

        reader = asyncio.get_running_loop().create_task(read_fast())
        for n in range(count):
            server.hub.publish(topic, {"event": "blob", "data": {"n": n, "blob": blob}})
            await asyncio.sleep(0.002)
        await asyncio.wait_for(reader, 20)
        assert received == list(range(count)), "the fast client lost nothing, in order"
        # The stuck one is cut off once a send has been blocked for a heartbeat interval.
        await eventually(lambda: server.hub.statistics().subscribers == 1, within=10)
