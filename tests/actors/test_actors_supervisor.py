"""Supervision: strategies, restart types, intensity and escalation, back-off, observability."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from actors_support import BoomError, Factory, Recorder, wait_until
from structlog.testing import capture_logs

from actors import (
    SUPERVISION_TOPIC,
    Actor,
    ActorRef,
    ActorStoppedError,
    ActorSystem,
    Backoff,
    ChildSpec,
    EventHub,
    FakeClock,
    Restart,
    Strategy,
    SupervisionEvent,
    Supervisor,
    SupervisorError,
    SupervisorEscalationError,
    SupervisorSpec,
)

NO_BACKOFF = Backoff(initial=0)


@pytest.fixture
async def make_supervisor(clock: FakeClock) -> AsyncIterator[Any]:
    made: list[Supervisor] = []

    async def make(**options: Any) -> Supervisor:
        options.setdefault("backoff", NO_BACKOFF)
        events = options.pop("events", None)
        supervisor = Supervisor(SupervisorSpec("sup", **options), clock=clock, events=events)
        await supervisor.start()
        made.append(supervisor)
        return supervisor

    yield make
    for supervisor in made:
        await supervisor.aclose()


async def crash(ref: ActorRef, factory: Factory) -> None:
    """Crash the actor and wait until its supervisor has restarted it."""
    before = len(factory.instances)
    await ref.tell("boom")
    await wait_until(lambda: len(factory.instances) > before and ref.running)


async def add(supervisor: Supervisor, name: str, **options: Any) -> tuple[ActorRef, Factory]:
    factory = Factory()
    ref = await supervisor.add_child(ChildSpec(name, factory, **options))
    return ref, factory


def test_backoff_grows_exponentially_and_is_capped() -> None:
    backoff = Backoff(initial=0.5, maximum=4, multiplier=2)
    assert [backoff.delay(n) for n in range(6)] == [0.5, 1, 2, 4, 4, 4]


def test_invalid_backoff_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid back-off"):
        Backoff(initial=2, maximum=1)


def test_child_names_cannot_contain_slashes() -> None:
    with pytest.raises(ValueError, match="invalid child name"):
        ChildSpec("a/b", Recorder)


async def test_one_for_one_restarts_only_the_crashed_child(make_supervisor: Any) -> None:
    supervisor = await make_supervisor(strategy=Strategy.ONE_FOR_ONE)
    a, a_factory = await add(supervisor, "a")
    b, b_factory = await add(supervisor, "b")
    await a.tell("kept")
    await crash(b, b_factory)
    assert len(a_factory.instances) == 1
    assert await a.ask("get") == ["kept"]


async def test_one_for_all_restarts_every_child(make_supervisor: Any) -> None:
    supervisor = await make_supervisor(strategy=Strategy.ONE_FOR_ALL)
    a, a_factory = await add(supervisor, "a")
    b, b_factory = await add(supervisor, "b")
    await a.tell("lost")
    await crash(b, b_factory)
    await wait_until(lambda: len(a_factory.instances) == 2 and a.running)
    assert await a.ask("get") == []


async def test_rest_for_one_restarts_the_crashed_child_and_later_ones(
    make_supervisor: Any,
) -> None:
    supervisor = await make_supervisor(strategy=Strategy.REST_FOR_ONE)
    a, a_factory = await add(supervisor, "a")
    b, b_factory = await add(supervisor, "b")
    c, c_factory = await add(supervisor, "c")
    await crash(b, b_factory)
    await wait_until(lambda: len(c_factory.instances) == 2 and c.running)
    assert len(a_factory.instances) == 1
    assert a.running


async def test_siblings_restarted_with_a_crash_keep_their_queued_messages(
    make_supervisor: Any,
) -> None:
    supervisor = await make_supervisor(strategy=Strategy.ONE_FOR_ALL)
    log: list[str] = []
    a_factory = Factory(lambda: Recorder(log))
    a = await supervisor.add_child(ChildSpec("a", a_factory))
    b, _ = await add(supervisor, "b")
    gate = asyncio.Event()
    await a.tell((gate, "busy"))
    await wait_until(lambda: "waiting:busy" in log)
    await a.tell("queued")
    await b.tell("boom")
    await wait_until(lambda: not b.running)
    gate.set()  # a finishes its current message, then is stopped for the group restart
    await wait_until(lambda: len(a_factory.instances) == 2 and a.running)
    assert await a.ask("get") == ["queued"]
    assert log == ["started", "waiting:busy", "stopping", "restarted:None"]


async def test_transient_child_is_not_restarted_after_a_normal_exit(
    make_supervisor: Any,
) -> None:
    supervisor = await make_supervisor()
    ref, factory = await add(supervisor, "t", restart=Restart.TRANSIENT)
    await ref.tell("stop")
    await wait_until(lambda: ref.terminated)
    assert len(factory.instances) == 1
    assert supervisor.children() == []


async def test_transient_child_is_restarted_after_a_crash(make_supervisor: Any) -> None:
    supervisor = await make_supervisor()
    ref, factory = await add(supervisor, "t", restart=Restart.TRANSIENT)
    await crash(ref, factory)
    assert [child.name for child in supervisor.children()] == ["t"]


async def test_temporary_child_is_never_restarted(make_supervisor: Any) -> None:
    supervisor = await make_supervisor()
    ref, factory = await add(supervisor, "tmp", restart=Restart.TEMPORARY)
    await ref.tell("boom")
    await wait_until(lambda: ref.terminated)
    assert len(factory.instances) == 1
    assert supervisor.children() == []


async def test_temporary_sibling_is_removed_not_restarted_by_one_for_all(
    make_supervisor: Any,
) -> None:
    supervisor = await make_supervisor(strategy=Strategy.ONE_FOR_ALL)
    tmp, tmp_factory = await add(supervisor, "tmp", restart=Restart.TEMPORARY)
    ref, factory = await add(supervisor, "p")
    await crash(ref, factory)
    assert tmp.terminated
    assert len(tmp_factory.instances) == 1
    assert [child.name for child in supervisor.children()] == ["p"]


async def test_exceeding_restart_intensity_escalates_and_stops_children(
    make_supervisor: Any,
) -> None:
    supervisor = await make_supervisor(max_restarts=2, within=10)
    ref, factory = await add(supervisor, "c")
    other, _ = await add(supervisor, "other")
    await crash(ref, factory)
    await crash(ref, factory)
    await ref.tell("boom")
    await wait_until(lambda: ref.terminated and other.terminated)
    assert isinstance(supervisor.failure, SupervisorEscalationError)
    assert isinstance(supervisor.failure.__cause__, BoomError)
    assert "3 restarts within 10 s exceed its limit of 2" in str(supervisor.failure)
    assert not supervisor.running
    assert ref.terminated and other.terminated
    with pytest.raises(SupervisorError, match="not running"):
        await supervisor.add_child(ChildSpec("late", Recorder))


async def test_restarts_spread_beyond_the_window_do_not_escalate(
    make_supervisor: Any, clock: FakeClock
) -> None:
    supervisor = await make_supervisor(max_restarts=1, within=5)
    ref, factory = await add(supervisor, "c")
    for _ in range(4):
        await crash(ref, factory)
        await clock.advance(6)
    assert supervisor.running
    assert supervisor.statistics().restarts == 4


async def test_queued_asks_fail_when_the_supervisor_gives_up(make_supervisor: Any) -> None:
    supervisor = await make_supervisor(max_restarts=0)
    log: list[str] = []
    ref = await supervisor.add_child(ChildSpec("c", lambda: Recorder(log)))
    gate = asyncio.Event()
    await ref.tell((gate, "boom"))
    await wait_until(lambda: "waiting:boom" in log)
    queued = asyncio.create_task(ref.ask("get"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 1)
    gate.set()
    with pytest.raises(ActorStoppedError):
        await queued


async def test_restart_waits_for_the_backoff_on_the_clock(
    make_supervisor: Any, clock: FakeClock
) -> None:
    supervisor = await make_supervisor(backoff=Backoff(initial=1, maximum=10), max_restarts=5)
    ref, factory = await add(supervisor, "c")
    await ref.tell("boom")
    await clock.wait_for_sleepers(1)
    assert not ref.running
    await clock.advance(1)
    await wait_until(lambda: ref.running)
    await ref.tell("boom")  # second restart in the window: twice the delay
    await clock.wait_for_sleepers(1)
    await clock.advance(1.5)
    assert not ref.running
    await clock.advance(0.5)
    await wait_until(lambda: ref.running)
    assert len(factory.instances) == 3


async def test_messages_sent_during_backoff_wait_for_the_restarted_actor(
    make_supervisor: Any, clock: FakeClock
) -> None:
    supervisor = await make_supervisor(backoff=Backoff(initial=1), max_restarts=5)
    ref, _ = await add(supervisor, "c")
    await ref.tell("boom")
    await clock.wait_for_sleepers(1)
    reply = asyncio.create_task(ref.ask("get"))
    await wait_until(lambda: ref.statistics().mailbox.current_buffer_used == 1)
    await ref.tell("during")
    await clock.advance(1)
    assert await reply == []
    assert await ref.ask("get") == ["during"]


async def test_every_restart_is_published_logged_and_counted(
    make_supervisor: Any,
) -> None:
    hub = EventHub()
    supervisor = await make_supervisor(events=hub)
    seen: list[SupervisionEvent] = []
    supervisor.add_listener(seen.append)
    subscription = hub.subscribe(SUPERVISION_TOPIC)
    ref, factory = await add(supervisor, "c")
    with capture_logs() as logs:
        await crash(ref, factory)
    assert [event.kind for event in seen] == ["restart"]
    assert seen[0].child == "c" and seen[0].reason == "BoomError: boom"
    published = subscription.receive_nowait()
    assert b'"kind":"restart"' in published.data  # type: ignore[union-attr]
    assert any(entry["event"] == "actor.restarting" for entry in logs)
    assert supervisor.statistics().restarts == 1


async def test_a_nested_supervisor_that_gives_up_is_restarted_by_its_parent(
    system: ActorSystem,
) -> None:
    nested = await system.root.add_supervisor(
        SupervisorSpec("ws", max_restarts=1, within=60, backoff=NO_BACKOFF)
    )
    ref, factory = await add(nested, "brain")
    await ref.tell("kept across the subtree restart")
    await crash(ref, factory)
    await ref.tell("boom")  # second restart within the window: ws gives up
    await wait_until(lambda: system.root.statistics().restarts == 1 and nested.running)
    await wait_until(lambda: ref.running)
    assert nested.statistics().escalations == 1
    assert await ref.ask("get") == []  # same ref, fresh instance
    assert system.running


async def test_the_root_giving_up_stops_the_system(system: ActorSystem) -> None:
    ref, factory = await add(system.root, "c")
    for _ in range(3):
        await crash(ref, factory)
    await ref.tell("boom")
    await wait_until(lambda: not system.running)
    assert isinstance(system.failure, SupervisorEscalationError)
    assert ref.terminated


async def test_children_added_dynamically_get_addresses_under_the_supervisor(
    system: ActorSystem,
) -> None:
    tenants = await system.root.add_supervisor(SupervisorSpec("tenants"))
    refs = [await tenants.add_child(ChildSpec(f"ws-{n}", Recorder)) for n in range(3)]
    assert [ref.path for ref in refs] == [
        "root/tenants/ws-0",
        "root/tenants/ws-1",
        "root/tenants/ws-2",
    ]
    assert tenants.child("ws-1") is refs[1]


async def test_a_duplicate_child_name_is_rejected(make_supervisor: Any) -> None:
    supervisor = await make_supervisor()
    await add(supervisor, "c")
    with pytest.raises(SupervisorError, match="already has a child named 'c'"):
        await add(supervisor, "c")


async def test_a_child_whose_started_hook_fails_is_not_added(make_supervisor: Any) -> None:
    class Broken(Actor):
        async def started(self) -> None:
            raise RuntimeError("cannot load state")

        async def handle(self, message: Any) -> Any:
            return message

    supervisor = await make_supervisor()
    with pytest.raises(RuntimeError, match="cannot load state"):
        await supervisor.add_child(ChildSpec("broken", Broken))
    assert supervisor.children() == []


async def test_a_restart_whose_hook_fails_counts_as_another_crash(
    make_supervisor: Any,
) -> None:
    class FailsOnRestart(Recorder):
        async def restarted(self, cause: BaseException | None) -> None:
            raise RuntimeError("state store down")

    supervisor = await make_supervisor(max_restarts=2)
    ref = await supervisor.add_child(ChildSpec("c", FailsOnRestart))
    await ref.tell("boom")
    await wait_until(lambda: supervisor.failure is not None)
    assert isinstance(supervisor.failure.__cause__, RuntimeError)


async def test_remove_child_stops_it_and_forgets_it(make_supervisor: Any) -> None:
    supervisor = await make_supervisor()
    ref, _ = await add(supervisor, "c")
    await supervisor.remove_child("c")
    assert ref.terminated
    assert supervisor.children() == []
    with pytest.raises(SupervisorError, match="no child named 'c'"):
        await supervisor.remove_child("c")


async def test_a_nested_supervisor_spec_starts_its_initial_children(
    system: ActorSystem,
) -> None:
    spec = SupervisorSpec(
        "ws",
        strategy=Strategy.REST_FOR_ONE,
        children=(ChildSpec("mail", Recorder), SupervisorSpec("brains")),
    )
    nested = await system.root.add_supervisor(spec)
    assert [(c.name, c.kind, c.running) for c in nested.children()] == [
        ("mail", "actor", True),
        ("brains", "supervisor", True),
    ]
    mail = nested.child("mail")
    assert isinstance(mail, ActorRef)
    assert await mail.ask("get") == []


async def test_children_can_be_added_while_a_restart_waits_for_its_backoff(
    make_supervisor: Any, clock: FakeClock
) -> None:
    supervisor = await make_supervisor(backoff=Backoff(initial=1), max_restarts=5)
    ref, _ = await add(supervisor, "c")
    await ref.tell("boom")
    await clock.wait_for_sleepers(1)
    other, _ = await add(supervisor, "other")
    assert other.running and not ref.running
    await clock.advance(1)
    await wait_until(lambda: ref.running)


def test_invalid_specs_are_rejected() -> None:
    with pytest.raises(ValueError, match="mailbox_size must be >= 1"):
        ChildSpec("c", Recorder, mailbox_size=0)
    with pytest.raises(ValueError, match="need max_restarts >= 0 and within > 0"):
        SupervisorSpec("s", within=0)
