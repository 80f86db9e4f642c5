"""Actors and their refs: tell, tell_nowait, ask, ordering, backpressure, stop rule, hooks."""

from __future__ import annotations

import asyncio
import traceback
from typing import Any

import pytest
from actors_support import BoomError, Factory, Recorder, wait_until

from actors import (
    Actor,
    ActorError,
    ActorStoppedError,
    ActorSystem,
    AskTimeoutError,
    ChildSpec,
    MailboxFullError,
    Restart,
)


class Validating(Actor):
    reply_errors = (ValueError,)

    def __init__(self) -> None:
        self.handled = 0

    async def handle(self, message: Any) -> Any:
        self.handled += 1
        if message < 0:
            raise ValueError(f"negative: {message}")
        return message * 2


async def test_tells_from_one_sender_are_handled_in_order(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    for item in range(100):
        await ref.tell(item)
    assert await ref.ask("get") == list(range(100))


async def test_each_concurrent_sender_keeps_its_own_order(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder, mailbox_size=3)

    async def sender(name: str) -> None:
        for index in range(50):
            await ref.tell((name, index))

    await asyncio.gather(*(sender(name) for name in "abcd"))
    seen = await ref.ask("get")
    for name in "abcd":
        assert [index for who, index in seen if who == name] == list(range(50))


async def test_ask_returns_the_handlers_reply(system: ActorSystem) -> None:
    ref = await system.spawn("v", Validating)
    assert await ref.ask(21) == 42


async def test_tell_waits_while_the_mailbox_is_full(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder, mailbox_size=1)
    gate = asyncio.Event()
    await ref.tell((gate, "first"))  # taken by the actor, which now waits on the gate
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 0)
    await ref.tell("queued")  # fills the mailbox
    blocked = asyncio.create_task(ref.tell("waits"))
    await wait_until(lambda: ref.statistics().mailbox.tasks_waiting_send == 1)
    assert not blocked.done()
    gate.set()
    await blocked
    assert await ref.ask("get") == ["first", "queued", "waits"]


async def test_tell_nowait_raises_a_clear_error_when_full(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder, mailbox_size=1)
    gate = asyncio.Event()
    ref.tell_nowait((gate, 1))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 0)
    ref.tell_nowait(2)
    with pytest.raises(MailboxFullError, match=r"actor 'root/r' is full|'root/r' is full"):
        ref.tell_nowait(3)
    gate.set()


async def test_ask_times_out_and_is_withdrawn_from_the_mailbox(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    gate = asyncio.Event()
    await ref.tell((gate, "busy"))
    with pytest.raises(AskTimeoutError, match="did not answer within"):
        await ref.ask("late", timeout=0.01)
    assert ref.statistics().mailbox.current_buffer_used == 0
    gate.set()
    assert await ref.ask("get") == ["busy"]


async def test_ask_timeout_is_a_timeout_error(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    gate = asyncio.Event()
    await ref.tell((gate, "busy"))
    with pytest.raises(TimeoutError):
        await ref.ask("late", timeout=0.01)
    gate.set()


async def test_ask_into_a_full_mailbox_times_out_while_waiting_for_space(
    system: ActorSystem,
) -> None:
    ref = await system.spawn("r", Recorder, mailbox_size=1)
    gate = asyncio.Event()
    await ref.tell((gate, "busy"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 0)
    await ref.tell("fills")
    with pytest.raises(AskTimeoutError, match="waiting for mailbox space"):
        await ref.ask("get", timeout=0.01)
    assert ref.statistics().mailbox.tasks_waiting_send == 0
    gate.set()


async def test_ask_raises_the_handlers_own_exception(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    with pytest.raises(BoomError, match="boom") as caught:
        await ref.ask("boom")
    frames = [frame.name for frame in traceback.extract_tb(caught.value.__traceback__)]
    assert "handle" in frames  # the traceback still shows where the handler failed


async def test_reply_errors_reach_the_asker_without_crashing_the_actor(
    system: ActorSystem,
) -> None:
    factory = Factory(Validating)
    ref = await system.root.add_child(ChildSpec("v", factory))
    with pytest.raises(ValueError, match="negative: -1"):
        await ref.ask(-1)
    assert await ref.ask(2) == 4
    assert len(factory.instances) == 1
    assert ref.statistics().crashes == 0


async def test_a_cancelled_ask_leaves_nothing_in_the_mailbox(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    gate = asyncio.Event()
    await ref.tell((gate, "busy"))
    asker = asyncio.create_task(ref.ask("never"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 1)
    asker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asker
    assert ref.statistics().mailbox.current_buffer_used == 0
    gate.set()
    assert await ref.ask("get") == ["busy"]


async def test_an_ask_cancelled_while_handled_has_its_reply_discarded(
    system: ActorSystem,
) -> None:
    log: list[str] = []
    ref = await system.spawn("r", lambda: Recorder(log))
    gate = asyncio.Event()
    asker = asyncio.create_task(ref.ask((gate, "slow")))
    await wait_until(lambda: "waiting:slow" in log)
    asker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asker
    gate.set()
    assert await ref.ask("get") == ["slow"]
    assert ref.running


async def test_a_crash_fails_the_ask_and_the_restarted_actor_handles_the_rest(
    system: ActorSystem,
) -> None:
    log: list[str] = []
    factory = Factory(lambda: Recorder(log))
    ref = await system.root.add_child(ChildSpec("r", factory))
    gate = asyncio.Event()
    crash = asyncio.create_task(ref.ask((gate, "boom")))
    await wait_until(lambda: "waiting:boom" in log)
    await ref.tell("after")
    gate.set()
    with pytest.raises(BoomError):
        await crash
    assert await ref.ask("get") == ["after"]
    assert len(factory.instances) == 2


async def test_graceful_stop_handles_queued_messages_then_runs_stopping(
    system: ActorSystem,
) -> None:
    log: list[str] = []
    factory = Factory(lambda: Recorder(log))
    ref = await system.root.add_child(ChildSpec("r", factory))
    gate = asyncio.Event()
    await ref.tell((gate, 1))
    await ref.tell(2)
    pending = asyncio.create_task(ref.ask("get"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 2)
    remover = asyncio.create_task(system.root.remove_child("r"))
    await wait_until(lambda: ref.statistics().mailbox.closed)
    gate.set()
    await remover
    assert await pending == [1, 2]
    assert log == ["started", "waiting:1", "stopping"]
    assert ref.terminated


async def test_stop_timeout_fails_pending_asks_and_counts_dropped_tells(
    system: ActorSystem,
) -> None:
    log: list[str] = []
    spec = ChildSpec("r", lambda: Recorder(log), shutdown_timeout=0.01)
    ref = await system.root.add_child(spec)
    gate = asyncio.Event()  # never set: the actor is stuck
    in_flight = asyncio.create_task(ref.ask((gate, "stuck")))
    await wait_until(lambda: "waiting:stuck" in log)
    await ref.tell("dropped")
    queued = asyncio.create_task(ref.ask("get"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 2)
    await system.root.remove_child("r")
    with pytest.raises(ActorStoppedError, match="while handling"):
        await in_flight
    with pytest.raises(ActorStoppedError, match="before handling"):
        await queued
    assert ref.statistics().dropped == 1


async def test_messages_to_a_stopped_actor_raise_actor_stopped(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    await system.root.remove_child("r")
    with pytest.raises(ActorStoppedError, match="root/r"):
        await ref.tell(1)
    with pytest.raises(ActorStoppedError):
        ref.tell_nowait(1)
    with pytest.raises(ActorStoppedError):
        await ref.ask("get")


async def test_started_runs_before_the_first_message(system: ActorSystem) -> None:
    class Greeter(Actor):
        async def started(self) -> None:
            self.greeting = "hello"

        async def handle(self, message: Any) -> Any:
            return f"{self.greeting} {message}"

    ref = await system.spawn("g", Greeter)
    assert await ref.ask("you") == "hello you"


async def test_restart_builds_a_fresh_instance_and_calls_restarted_with_the_cause(
    system: ActorSystem,
) -> None:
    log: list[str] = []
    factory = Factory(lambda: Recorder(log))
    ref = await system.root.add_child(ChildSpec("r", factory))
    await ref.tell(1)
    await ref.tell("boom")
    await wait_until(lambda: len(factory.instances) == 2 and ref.running)
    assert log == ["started", "restarted:BoomError"]  # no stopping() after its own crash
    assert await ref.ask("get") == []
    assert ref.statistics().restarts == 1


async def test_an_actor_outside_a_system_has_no_ref() -> None:
    with pytest.raises(ActorError, match="not running in an actor system"):
        _ = Recorder().ref


async def test_a_permanent_actor_that_stops_itself_is_restarted(system: ActorSystem) -> None:
    factory = Factory()
    ref = await system.root.add_child(ChildSpec("r", factory, restart=Restart.PERMANENT))
    await ref.tell("stop")
    await wait_until(lambda: len(factory.instances) == 2 and ref.running)


async def test_statistics_count_processed_messages(system: ActorSystem) -> None:
    ref = await system.spawn("r", Recorder)
    for item in range(5):
        await ref.tell(item)
    await ref.ask("get")
    stats = ref.statistics()
    assert stats.processed == 6
    assert stats.path == "root/r"


async def test_a_tell_waiting_for_space_fails_when_the_actor_stops(system: ActorSystem) -> None:
    log: list[str] = []
    spec = ChildSpec("r", lambda: Recorder(log), mailbox_size=1, shutdown_timeout=0.01)
    ref = await system.root.add_child(spec)
    await ref.tell((asyncio.Event(), "stuck"))
    await wait_until(lambda: "waiting:stuck" in log)
    await ref.tell("fills")
    blocked = asyncio.create_task(ref.tell("waits"))
    await wait_until(lambda: ref.statistics().mailbox.tasks_waiting_send == 1)
    await system.root.remove_child("r")
    with pytest.raises(ActorStoppedError):
        await blocked


async def test_finished_timed_out_and_cancelled_asks_leave_no_timeout_entries(
    system: ActorSystem,
) -> None:
    ref = await system.spawn("r", Recorder)
    await ref.ask("get", timeout=5)
    gate = asyncio.Event()
    await ref.tell((gate, "busy"))
    with pytest.raises(AskTimeoutError):
        await ref.ask("late", timeout=0.01)
    cancelled = asyncio.create_task(ref.ask("never", timeout=5))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 1)
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    from actors.actor import _this_thread

    assert _this_thread.deadlines is not None
    buckets = _this_thread.deadlines._buckets
    assert all(not bucket for bucket in buckets.values())
    assert ref.statistics().mailbox.current_buffer_used == 0
    gate.set()
