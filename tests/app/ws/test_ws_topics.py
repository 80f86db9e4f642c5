"""Subscriptions: events as frames, tenant isolation, resume by sequence number, limits."""

from __future__ import annotations

import orjson
import pytest
from ws_support import LiveServer, Tenant, recv, send, settled, subscribe

from app.ws.connection import frame_cache


async def with_default_brain(server: LiveServer, tenant: Tenant) -> None:
    """Create it now: its creation is itself an event on the workspace topic."""
    await server.services.brains.ensure_default_brain(tenant.workspace_id)


def publish(server: LiveServer, topic: str, name: str, data: object) -> int:
    return server.hub.publish(topic, {"event": name, "data": data}).seq


async def test_a_member_receives_its_workspace_events_as_event_frames(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        ack = await subscribe(ws, topic)
        assert ack == {
            "type": "subscribed",
            "topic": topic,
            "seq": server.hub.last_seq(topic),
            "epoch": server.hub.epoch,
            "resumed": None,
        }
        seq = publish(server, topic, "member_joined", {"email": "x@example.org"})
        event = await recv(ws)
        assert isinstance(event.pop("ts"), float)
        assert event == {
            "type": "event",
            "topic": topic,
            "seq": seq,
            "event": "member_joined",
            "data": {"email": "x@example.org"},
        }


async def test_after_unsubscribe_no_more_events_arrive(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        await subscribe(ws, topic)
        await send(ws, {"type": "unsubscribe", "topic": topic})
        assert await recv(ws) == {"type": "unsubscribed", "topic": topic}
        publish(server, topic, "ignored", 1)
        assert await settled(ws) == []
        assert server.hub.statistics().subscribers == 0


async def test_unsubscribing_from_a_topic_not_subscribed_is_an_error(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        await send(ws, {"type": "unsubscribe", "topic": f"workspace:{tenant.workspace_id}"})
        error = await recv(ws)
        assert error["type"] == "error" and error["code"] == "not_subscribed"


async def test_subscribing_twice_to_a_topic_is_an_error(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        await subscribe(ws, topic)
        error = await subscribe(ws, topic)
        assert error["code"] == "already_subscribed" and error["topic"] == topic


async def test_a_member_of_a_cannot_subscribe_to_b_and_gets_no_data(server: LiveServer) -> None:
    alice = await server.tenant("alice")
    bob = await server.tenant("bob")
    theirs = f"workspace:{bob.workspace_id}"
    missing = "workspace:ws_doesnotexist0000"
    async with server.connect(alice.token) as ws:
        denied = await subscribe(ws, theirs)
        assert denied["type"] == "error" and denied["code"] == "forbidden"
        assert denied["topic"] == theirs
        nowhere = await subscribe(ws, missing)
        # The same answer whether or not the workspace exists: nothing leaks.
        assert nowhere["code"] == denied["code"]
        assert nowhere["message"].replace(missing, "?") == denied["message"].replace(theirs, "?")
        publish(server, theirs, "secret", {"plan": "x"})
        assert await settled(ws) == []


async def test_a_seat_granted_later_is_honoured_without_a_new_token(server: LiveServer) -> None:
    alice = await server.tenant("alice")
    bob = await server.tenant("bob")
    await server.join(alice, bob)
    topic = f"workspace:{bob.workspace_id}"
    async with server.connect(alice.token) as ws:
        assert (await subscribe(ws, topic))["type"] == "subscribed"


@pytest.mark.parametrize(
    "topic", ["room:1", "brain:", "workspace:a b", "brain:" + "x" * 200, "", "workspace"]
)
async def test_a_malformed_topic_is_an_error_naming_the_forms(
    server: LiveServer, topic: str
) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        error = await subscribe(ws, topic)
        assert error["type"] == "error"
        assert error["code"] in {"invalid_topic", "invalid_message"}
        assert "brain:<id>" in error["message"] or "topic" in error["message"]
        assert await settled(ws) == []


@pytest.mark.ws_env(BRAINHOST_WS_MAX_SUBSCRIPTIONS="1")
async def test_subscriptions_per_connection_are_limited(server: LiveServer) -> None:
    alice = await server.tenant("alice")
    bob = await server.tenant("bob")
    await server.join(alice, bob)
    async with server.connect(alice.token) as ws:
        assert (await subscribe(ws, f"workspace:{alice.workspace_id}"))["type"] == "subscribed"
        error = await subscribe(ws, f"workspace:{bob.workspace_id}")
        assert error["code"] == "too_many_subscriptions"
        assert "BRAINHOST_WS_MAX_SUBSCRIPTIONS" in error["message"]


# ----------------------------------------------------------------------------- resume


async def test_since_seq_replays_the_events_missed(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    await with_default_brain(server, tenant)
    seqs = [publish(server, topic, "tick", n) for n in range(5)]
    async with server.connect(tenant.token) as ws:
        ack = await subscribe(ws, topic, since_seq=seqs[1])
        assert ack["resumed"] is True and ack["seq"] == seqs[-1]
        replayed = await settled(ws)
        assert [(f["seq"], f["data"]) for f in replayed] == [(s, n) for n, s in enumerate(seqs)][2:]


async def test_since_seq_beyond_the_ring_reports_the_gap_then_replays_what_is_left(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    history = server.hub.history
    await with_default_brain(server, tenant)
    seqs = [publish(server, topic, "tick", n) for n in range(history + 10)]
    async with server.connect(tenant.token) as ws:
        ack = await subscribe(ws, topic, since_seq=seqs[0])
        assert ack["type"] == "subscribed" and ack["resumed"] is False
        gap = await recv(ws)
        assert gap["type"] == "error" and gap["code"] == "resume_gap"
        assert gap["topic"] == topic and gap["missed"] == 9
        replayed = await settled(ws)
        assert all(f["type"] == "event" for f in replayed), "the gap is not also 'dropped'"
        assert [f["seq"] for f in replayed] == seqs[10:]


async def test_since_seq_from_another_epoch_is_a_gap(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    publish(server, topic, "tick", 1)
    async with server.connect(tenant.token) as ws:
        ack = await subscribe(ws, topic, since_seq=0, epoch="an-older-server")
        assert ack["resumed"] is False
        assert (await recv(ws))["code"] == "resume_gap"


# ----------------------------------------------------------------------------- encode once


@pytest.mark.uvicorn(ws="websockets-sansio")
async def test_events_go_out_through_asgi_sends_on_a_server_without_the_frame_writer(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        await subscribe(ws, topic)
        seqs = [publish(server, topic, "tick", n) for n in range(3)]
        assert [(await recv(ws))["seq"] for _ in seqs] == seqs


async def test_events_keep_their_order_while_other_frames_go_out(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    async with server.connect(tenant.token) as ws:
        await subscribe(ws, topic)
        seqs = []
        for n in range(20):
            await send(ws, {"type": "ping"})
            seqs.append(publish(server, topic, "tick", n))
        frames = [await recv(ws) for _ in range(40)]
        assert [f["seq"] for f in frames if f["type"] == "event"] == seqs
        assert sum(f == {"type": "pong"} for f in frames) == 20


async def test_an_event_frame_is_built_once_for_all_subscribers(server: LiveServer) -> None:
    tenant = await server.tenant()
    topic = f"workspace:{tenant.workspace_id}"
    cache = frame_cache(server.hub)
    clients = [server.connect(tenant.token) for _ in range(3)]
    sockets = [await client.__aenter__() for client in clients]
    try:
        for ws in sockets:
            await subscribe(ws, topic)
        built = cache.built_total
        publish(server, topic, "tick", {"n": 1})
        frames = [await ws.recv() for ws in sockets]
        assert cache.built_total == built + 1
        assert frames[0] == frames[1] == frames[2]
        assert orjson.loads(frames[0])["data"] == {"n": 1}
    finally:
        for client in clients:
            await client.__aexit__(None, None, None)
