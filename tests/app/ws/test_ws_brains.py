"""Brains over the websocket: default brain, brain topics, commands and replies, quotas."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ws_support import LiveServer, Tenant, eventually, recv, send, settled, subscribe

from app.ws.connection import MAX_COMMANDS_IN_FLIGHT


async def brains_of(server: LiveServer, tenant: Tenant) -> list[Any]:
    brains: list[Any] = await server.services.brains.list_brains(tenant.workspace_id)
    return brains


async def default_brain(server: LiveServer, tenant: Tenant) -> str:
    async with server.connect(tenant.token) as ws:
        await settled(ws)
    (brain,) = await brains_of(server, tenant)
    brain_id: str = brain.id
    return brain_id


async def command(
    ws: Any, id: Any, brain: str, name: str, *, others: list[Any] | None = None, **args: Any
) -> dict[str, Any]:
    """Send a command and wait for its reply; frames arriving first go to ``others``."""
    await send(ws, {"type": "command", "id": id, "brain": brain, "command": name, "args": args})
    while True:
        frame = await recv(ws)
        if frame["type"] == "reply" and frame["id"] == id:
            return frame
        if others is not None:
            others.append(frame)


async def test_the_first_connection_creates_the_workspace_default_brain(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    assert await brains_of(server, tenant) == []
    async with server.connect(tenant.token) as ws:
        await settled(ws)
    brains = await brains_of(server, tenant)
    assert [(b.name, b.stats.cortical_area_count > 0) for b in brains] == [("default", True)]
    async with server.connect(tenant.token) as ws:
        await settled(ws)
    assert [b.id for b in await brains_of(server, tenant)] == [brains[0].id], "only once"


async def test_commands_are_answered_with_replies_carrying_their_id(server: LiveServer) -> None:
    tenant = await server.tenant()
    brain = await default_brain(server, tenant)
    async with server.connect(tenant.token) as ws:
        changed = await command(ws, "s1", brain, "set_frequency", hz=25)
        assert changed["ok"] is True
        stats = await command(ws, 2, brain, "stats")
        assert stats["ok"] is True and stats["data"]["frequency_hz"] == 25
        assert stats["data"]["state"] == "stopped"


async def test_a_bad_command_gets_a_failed_reply_naming_the_problem(server: LiveServer) -> None:
    tenant = await server.tenant()
    brain = await default_brain(server, tenant)
    async with server.connect(tenant.token) as ws:
        unknown = await command(ws, "c1", brain, "explode")
        assert unknown["ok"] is False and unknown["error"]["code"] == "invalid_command"
        assert "explode" in unknown["error"]["message"]
        bad_args = await command(ws, "c2", brain, "stats", verbose=True)
        assert bad_args["ok"] is False and "verbose" in bad_args["error"]["message"]
        await send(ws, {"type": "ping"})
        assert await recv(ws) == {"type": "pong"}


async def test_a_running_brain_streams_its_bursts_to_subscribers(server: LiveServer) -> None:
    tenant = await server.tenant()
    brain = await default_brain(server, tenant)
    topic = f"brain:{brain}"
    async with server.connect(tenant.token) as ws:
        assert (await subscribe(ws, topic))["type"] == "subscribed"
        early: list[dict[str, Any]] = []
        started = await command(ws, "go", brain, "start", others=early)
        assert started["ok"] is True and started["data"]["state"] == "running"
        seen: dict[str, dict[str, Any]] = {}
        while not {"burst", "state"} <= seen.keys():
            frame = early.pop(0) if early else await recv(ws, within=10)
            if frame["type"] == "event":
                assert frame["topic"] == topic
                seen[frame["event"]] = frame
        assert seen["burst"]["data"]["burst"] >= 1
        assert seen["state"]["data"]["state"] == "running"
        await command(ws, "halt", brain, "stop")


async def test_another_workspace_cannot_watch_or_drive_a_brain(server: LiveServer) -> None:
    alice = await server.tenant("alice")
    bob = await server.tenant("bob")
    bobs_brain = await default_brain(server, bob)
    async with server.connect(alice.token) as ws:
        denied = await subscribe(ws, f"brain:{bobs_brain}")
        nowhere = await subscribe(ws, "brain:br_doesnotexist")
        assert denied["code"] == nowhere["code"] == "forbidden"
        assert denied["message"].replace(bobs_brain, "?") == nowhere["message"].replace(
            "br_doesnotexist", "?"
        )
        refused = await command(ws, 1, bobs_brain, "start")
        missing = await command(ws, 2, "br_doesnotexist", "start")
        assert refused["ok"] is missing["ok"] is False
        assert refused["error"]["code"] == missing["error"]["code"] == "not_found"
    stats = await server.services.brains.command(bob.workspace_id, bobs_brain, "stats", {})
    assert stats["state"] == "stopped", "alice's command did not reach bob's brain"


@pytest.mark.parametrize(
    ("edit", "args"),
    [
        ("put_genome", {"genome": {}}),
        ("update_area", {"area": "___pwr", "changes": {"dimensions": [2, 1, 1]}}),
        ("set_mapping", {"source": "___pwr", "destination": "_death", "rules": []}),
    ],
)
async def test_edits_of_what_a_brain_is_need_the_admin_role_as_over_rest(
    server: LiveServer, edit: str, args: dict[str, Any]
) -> None:
    alice = await server.tenant("alice")
    bob = await server.tenant("bob")
    await server.join(alice, bob)
    bobs_brain = await default_brain(server, bob)
    before = await server.services.brains.call(bob.workspace_id, bobs_brain, lambda b: b.snapshot())
    async with server.connect(alice.token) as ws:
        refused = await command(ws, "g", bobs_brain, edit, **args)
        assert refused["ok"] is False and refused["error"]["code"] == "forbidden"
        allowed = await command(ws, "s", bobs_brain, "stats")
        assert allowed["ok"] is True
    after = await server.services.brains.call(bob.workspace_id, bobs_brain, lambda b: b.snapshot())
    assert after == before


@pytest.mark.ws_env(BRAINHOST_QUOTA_MAX_WS_CONNECTIONS="1")
async def test_the_workspace_connection_quota_is_enforced_and_released(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    quotas = server.services.brains.quotas
    async with server.connect(tenant.token) as first:
        assert (await subscribe(first, topic))["type"] == "subscribed"
        async with server.connect(tenant.token) as second:
            refused = await subscribe(second, topic)
            assert refused["code"] == "quota_exceeded"
            assert "max_ws_connections" in refused["message"]
            await send(first, {"type": "unsubscribe", "topic": topic})
            assert (await recv(first))["type"] == "unsubscribed"
            assert (await subscribe(second, topic))["type"] == "subscribed"
    await eventually(lambda: quotas.connections(tenant.workspace_id) == 0)


async def test_commands_in_flight_per_connection_are_limited(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await server.tenant()
    brain = await default_brain(server, tenant)
    host = server.services.brains
    real_command = host.command
    gate = asyncio.Event()

    async def held_command(*args: Any) -> dict[str, Any]:
        await gate.wait()  # the real command runs, once the test lets it
        result: dict[str, Any] = await real_command(*args)
        return result

    monkeypatch.setattr(host, "command", held_command)
    async with server.connect(tenant.token) as ws:
        for n in range(MAX_COMMANDS_IN_FLIGHT + 1):
            await send(
                ws, {"type": "command", "id": n, "brain": brain, "command": "stats", "args": {}}
            )
        busy = await recv(ws)
        assert busy["type"] == "error" and busy["code"] == "busy"
        assert busy["id"] == MAX_COMMANDS_IN_FLIGHT
        gate.set()
        replies = [await recv(ws) for _ in range(MAX_COMMANDS_IN_FLIGHT)]
        assert sorted(r["id"] for r in replies) == list(range(MAX_COMMANDS_IN_FLIGHT))
        assert all(r["ok"] for r in replies)
