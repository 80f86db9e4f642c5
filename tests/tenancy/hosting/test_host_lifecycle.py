"""The brain host: creating, running, passivating, reactivating brains (real store, real
actors, fake clock)."""

from __future__ import annotations

import pytest
from host_support import IDLE_S, Hosted, drain

from tenancy.hosting import BRAIN_KIND, BrainNotFound


async def test_a_created_brain_is_stopped_and_reports_its_size(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="alpha", template="barebones")

    assert (info.name, info.workspace_id, info.state) == ("alpha", "w1", "stopped")
    assert info.stats.cortical_area_count == 7 and info.stats.burst_count == 0
    assert [b.id for b in await hosted.host.list_brains("w1")] == [info.id]


async def test_a_started_brain_bursts_at_its_frequency(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones", frequency_hz=20.0,
                                   autostart=True)

    await hosted.advance(1.0)
    stats = await host.command("w1", info.id, "stats", {})

    assert stats["state"] == "running"
    assert 19 <= stats["burst_count"] <= 22
    assert stats["achieved_hz"] == pytest.approx(20.0, rel=0.1)


async def test_pause_holds_the_burst_counter_and_resume_continues(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones", autostart=True)
    await hosted.advance(0.5)
    paused = await host.command("w1", info.id, "pause", {})

    await hosted.advance(1.0)
    still = await host.command("w1", info.id, "stats", {})
    await host.command("w1", info.id, "resume", {})
    await hosted.advance(0.5)
    resumed = await host.command("w1", info.id, "stats", {})

    assert still["burst_count"] == paused["burst_count"] and still["state"] == "paused"
    assert resumed["burst_count"] > paused["burst_count"]


async def test_an_idle_brain_is_passivated_and_comes_back_with_its_state(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await host.command("w1", info.id, "step", {"n": 7})

    await hosted.advance(IDLE_S * 1.6, step=1.0)
    passivated = not hosted.system.registry.is_active(BRAIN_KIND, info.id)
    stats = await host.command("w1", info.id, "stats", {})  # waits for passivation to end
    snapshot = await hosted.store.workspace("w1").brains.load_snapshot(info.id)

    assert passivated
    assert snapshot is not None and snapshot.burst_count == 7
    assert stats["burst_count"] == 7
    assert hosted.system.registry.is_active(BRAIN_KIND, info.id)


async def test_a_running_brain_is_never_passivated(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones", frequency_hz=1.0,
                                   autostart=True)

    await hosted.advance(IDLE_S * 3, step=0.5)

    assert hosted.system.registry.is_active(BRAIN_KIND, info.id)
    assert (await host.command("w1", info.id, "stats", {}))["burst_count"] >= IDLE_S * 3 - 2


async def test_a_new_process_resumes_brains_with_state_and_counter(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones")
    await hosted.host.command("w1", info.id, "step", {"n": 11})
    await hosted.host.command("w1", info.id, "start", {})

    await hosted.restart()
    listed = await hosted.host.list_brains("w1")

    assert [(b.id, b.state) for b in listed] == [(info.id, "running")]
    assert listed[0].stats.burst_count >= 11


async def test_stepping_publishes_a_burst_event(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones")
    sub = hosted.system.events.subscribe(hosted.host.topic(info.id))

    await hosted.host.command("w1", info.id, "step", {"n": 3})

    events = drain(sub)
    assert events[-1]["event"] == "burst" and events[-1]["data"]["burst"] == 3
    assert set(events[-1]["data"]) == {"burst", "fired", "motor"}


async def test_burst_events_are_coalesced_to_the_event_rate(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones",
                                          frequency_hz=200.0, autostart=True)
    sub = hosted.system.events.subscribe(hosted.host.topic(info.id))

    await hosted.advance(1.0, step=0.005)

    bursts = [e for e in drain(sub) if e["event"] == "burst"]
    count = (await hosted.host.command("w1", info.id, "stats", {}))["burst_count"]
    assert count >= 150
    assert 25 <= len(bursts) <= hosted.config.event_hz + 1
    assert bursts[-1]["data"]["burst"] <= count


async def test_deleting_a_brain_removes_it_everywhere(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await host.command("w1", info.id, "snapshot", {})

    await host.delete_brain("w1", info.id)

    with pytest.raises(BrainNotFound):
        await host.get_brain("w1", info.id)
    assert await hosted.store.workspace("w1").brains.load_snapshot(info.id) is None
    assert await host.brain_workspace(info.id) is None
    assert await host.list_brains("w1") == []


async def test_the_default_brain_is_created_once(hosted: Hosted) -> None:
    first = await hosted.host.ensure_default_brain("w1")
    second = await hosted.host.ensure_default_brain("w1")

    assert first is not None and first.name == "default"
    assert second is None
    assert len(await hosted.host.list_brains("w1")) == 1


async def test_a_brain_is_invisible_from_another_workspace(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones")

    for call in (
        hosted.host.get_brain("w2", info.id),
        hosted.host.command("w2", info.id, "stats", {}),
        hosted.host.delete_brain("w2", info.id),
        hosted.host.call("w2", info.id, lambda brain: brain.stats()),
    ):
        with pytest.raises(BrainNotFound):
            await call
    assert await hosted.host.brain_workspace(info.id) == "w1"
    assert await hosted.host.list_brains("w2") == []


async def test_forgetting_a_workspace_stops_its_brains_without_saving(hosted: Hosted) -> None:
    host = hosted.host
    doomed = await host.create_brain("w1", name="a", template="barebones", autostart=True)
    kept = await host.create_brain("w2", name="b", template="barebones", autostart=True)
    await hosted.advance(0.3)

    await host.forget_workspace("w1")
    await hosted.store.drop_workspace("w1")
    await hosted.advance(0.3)

    assert not hosted.system.registry.is_active(BRAIN_KIND, doomed.id)
    assert await host.brain_workspace(doomed.id) is None
    assert (await host.command("w2", kept.id, "stats", {}))["state"] == "running"
