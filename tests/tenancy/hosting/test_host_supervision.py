"""Crashes: a failing brain is restarted from its last snapshot, subscribers hear
`restarted`, and nothing else is affected."""

from __future__ import annotations

import asyncio

import pytest
from host_support import Hosted, drain

from brains.brain import Brain
from tenancy.hosting import BRAIN_KIND, BrainBusy


class DeliberateError(RuntimeError):
    """A deliberate bug in a brain command."""


def explode(brain: Brain) -> None:
    raise DeliberateError("deliberate failure in a command")


def sabotage_bursts(brain: Brain) -> None:
    """Make this brain object's next burst raise (the restarted brain is a new object)."""

    def broken(n: int = 1) -> int:
        raise DeliberateError("deliberate failure in a burst")

    brain.step = broken  # type: ignore[method-assign]


async def settle(hosted: Hosted, brain_id: str) -> None:
    """Let the back-off pass and the restart finish."""
    for _ in range(50):
        await hosted.advance(0.05)
        if hosted.system.registry.is_active(BRAIN_KIND, brain_id):
            return
        await asyncio.sleep(0.01)


async def test_a_crash_in_a_command_restarts_the_brain_from_its_last_snapshot(
    hosted: Hosted,
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await host.command("w1", info.id, "step", {"n": 5})
    await host.command("w1", info.id, "snapshot", {})
    await host.command("w1", info.id, "step", {"n": 3})  # lost: after the snapshot
    sub = hosted.system.events.subscribe(host.topic(info.id))

    with pytest.raises(DeliberateError):
        await host.call("w1", info.id, explode)
    await settle(hosted, info.id)

    events = [e["event"] for e in drain(sub)]
    assert "restarted" in events
    assert (await host.command("w1", info.id, "stats", {}))["burst_count"] == 5


async def test_a_crash_in_a_burst_restarts_the_brain_and_it_keeps_running(
    hosted: Hosted,
) -> None:
    host = hosted.host
    # essential is above the batch size: it bursts through its own engine, which
    # `sabotage_bursts` breaks (batched brains are covered in the scheduler tests)
    info = await host.create_brain("w1", name="a", template="essential", autostart=True)
    await hosted.advance(0.5)
    sub = hosted.system.events.subscribe(host.topic(info.id))

    await host.call("w1", info.id, sabotage_bursts)
    await hosted.advance(0.2)
    await settle(hosted, info.id)
    await hosted.advance(0.5)

    events = [e["event"] for e in drain(sub)]
    assert "error" in events and "restarted" in events
    stats = await host.command("w1", info.id, "stats", {})
    assert stats["state"] == "running" and stats["burst_count"] > 0


async def test_a_crash_never_affects_another_brain_or_workspace(hosted: Hosted) -> None:
    host = hosted.host
    victim = await host.create_brain("w1", name="victim", template="essential", autostart=True)
    sibling = await host.create_brain("w1", name="sibling", template="barebones",
                                      autostart=True)
    neighbour = await host.create_brain("w2", name="neighbour", template="barebones",
                                        autostart=True)
    await hosted.advance(0.5)
    refs = {
        b.id: await hosted.system.registry.get(BRAIN_KIND, b.id) for b in (sibling, neighbour)
    }
    before = {
        b.id: (await host.command(b.workspace_id, b.id, "stats", {}))["burst_count"]
        for b in (sibling, neighbour)
    }

    await host.call("w1", victim.id, sabotage_bursts)
    with pytest.raises(DeliberateError):
        await host.call("w1", victim.id, explode)
    await hosted.advance(1.0)

    for brain in (sibling, neighbour):
        stats = await host.command(brain.workspace_id, brain.id, "stats", {})
        assert stats["burst_count"] >= before[brain.id] + 9
        assert refs[brain.id].statistics().crashes == 0
        assert await hosted.system.registry.get(BRAIN_KIND, brain.id) is refs[brain.id]


async def test_a_brain_that_keeps_crashing_is_left_stopped(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones", autostart=True)
    sub = hosted.system.events.subscribe(host.topic(info.id))

    for _ in range(hosted.config.restart_max + 1):
        await settle(hosted, info.id)
        with pytest.raises((DeliberateError, BrainBusy)):
            await host.call("w1", info.id, explode)
    await hosted.advance(0.5)
    await asyncio.sleep(0.05)

    errors = [e["data"]["message"] for e in drain(sub) if e["event"] == "error"]
    assert any("stays stopped" in message for message in errors)
    record = await hosted.store.workspace("w1").brains.get(info.id)
    assert record is not None and record.desired_state == "stopped"
