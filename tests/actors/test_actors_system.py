"""ActorSystem: lifecycle, graceful drain, forced stop, statistics the app exports."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from actors_support import Recorder, wait_until

from actors import (
    SUPERVISION_TOPIC,
    Actor,
    ActorError,
    ActorStoppedError,
    ActorSystem,
    ChildSpec,
    Overflow,
    Restart,
)


async def test_a_started_system_is_running_until_closed() -> None:
    system = ActorSystem()
    assert not system.running
    await system.start()
    assert system.running
    await system.aclose(timeout=1)
    assert not system.running


async def test_the_root_is_unavailable_before_start() -> None:
    with pytest.raises(ActorError, match=r"await system.start\(\) first"):
        _ = ActorSystem().root


async def test_starting_twice_is_an_error(system: ActorSystem) -> None:
    with pytest.raises(ActorError, match="already started"):
        await system.start()


async def test_aclose_is_idempotent(system: ActorSystem) -> None:
    await system.aclose(timeout=1)
    await system.aclose(timeout=1)
    assert not system.running


async def test_aclose_drains_queued_messages_gracefully(system: ActorSystem) -> None:
    log: list[str] = []
    ref = await system.spawn("r", lambda: Recorder(log))
    gate = asyncio.Event()
    await ref.tell((gate, "first"))
    await wait_until(lambda: "waiting:first" in log)
    for n in range(10):
        await ref.tell(n)
    answer = asyncio.create_task(ref.ask("get"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 11)
    closing = asyncio.create_task(system.aclose(timeout=5))
    await wait_until(lambda: ref.statistics().mailbox.closed)
    gate.set()
    await closing
    assert await answer == ["first", *range(10)]
    assert log[-1] == "stopping"


async def test_aclose_cancels_stuck_actors_at_the_timeout(system: ActorSystem) -> None:
    log: list[str] = []
    spec = ChildSpec("stuck", lambda: Recorder(log), shutdown_timeout=60)
    ref = await system.root.add_child(spec)
    in_flight = asyncio.create_task(ref.ask((asyncio.Event(), "never")))
    await wait_until(lambda: "waiting:never" in log)
    queued = asyncio.create_task(ref.ask("get"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 1)
    await system.aclose(timeout=0.05)
    for pending in (in_flight, queued):
        with pytest.raises(ActorStoppedError):
            await pending
    assert ref.terminated


async def test_aclose_passivates_virtual_actors(system: ActorSystem) -> None:
    passivated: list[str] = []

    async def activate(key: str) -> Actor:
        return Recorder()

    async def passivate(key: str, actor: Actor) -> None:
        passivated.append(key)

    system.registry.register("thing", activate, passivate=passivate)
    await system.registry.ref("thing", "one").tell(1)
    await system.aclose(timeout=1)
    assert passivated == ["one"]


async def test_aclose_ends_event_subscriptions(system: ActorSystem) -> None:
    sub = system.events.subscribe("t")
    await system.aclose(timeout=1)
    assert [item async for item in sub] == []


async def test_statistics_report_actors_mailboxes_restarts_and_events(
    system: ActorSystem,
) -> None:
    gate = asyncio.Event()
    log: list[str] = []
    busy = await system.spawn("busy", lambda: Recorder(log))
    crashing = await system.spawn("crashing", Recorder)
    await busy.tell((gate, 0))
    await wait_until(lambda: "waiting:0" in log)
    for n in range(3):
        await busy.tell(n)
    await crashing.tell("boom")
    await wait_until(lambda: system.statistics().restarts_total == 1 and crashing.running)

    async def activate(key: str) -> Actor:
        return Recorder()

    system.registry.register("v", activate)
    await system.registry.get("v", "1")
    slow = system.events.subscribe("x", queue_size=1, overflow=Overflow.DROP_OLDEST)
    system.events.publish("x", 1)
    system.events.publish("x", 2)

    stats = system.statistics()
    assert stats.actors_running == 3
    assert stats.mailbox_depth_total == 3
    assert stats.mailbox_depth_max == 3
    assert stats.crashes_total == 1
    assert stats.virtual_actors_active == 1
    assert stats.event_subscribers == 1
    assert stats.events_dropped_total == 1
    gate.set()
    slow.close()


async def test_supervision_events_are_published_on_the_system_hub(
    system: ActorSystem,
) -> None:
    sub = system.events.subscribe(SUPERVISION_TOPIC)
    ref = await system.spawn("c", Recorder)
    await ref.tell("boom")
    event: Any = await sub.receive()
    assert b'"supervisor":"root"' in event.data


async def test_crashes_stay_counted_after_the_crashed_actor_is_gone(system: ActorSystem) -> None:
    ref = await system.spawn("tmp", Recorder, restart=Restart.TEMPORARY)
    await ref.tell("boom")
    await wait_until(lambda: ref.terminated)
    stats = system.statistics()
    assert (stats.crashes_total, stats.actors_total, stats.restarts_total) == (1, 0, 0)
