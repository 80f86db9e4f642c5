"""Virtual actors: activation on first use, idle passivation, LRU cap, single activation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from actors_support import wait_until

from actors import Actor, FakeClock, Registry, RegistryError, UnknownActorKindError


class Account(Actor):
    """A counter whose state lives in a store between activations."""

    def __init__(self, key: str, balance: int) -> None:
        self.key = key
        self.balance = balance

    async def handle(self, message: Any) -> Any:
        if message == "boom":
            raise RuntimeError("corrupted")
        self.balance += message
        return self.balance


class Store:
    """Persistent state plus a record of every activation and passivation."""

    def __init__(self) -> None:
        self.balances: dict[str, int] = {}
        self.activations: list[str] = []
        self.passivations: list[str] = []
        self.gate: asyncio.Event | None = None
        self.fail_next = False

    async def activate(self, key: str) -> Actor:
        self.activations.append(key)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("store unavailable")
        return Account(key, self.balances.get(key, 0))

    async def passivate(self, key: str, actor: Actor) -> None:
        assert isinstance(actor, Account)
        self.passivations.append(key)
        self.balances[key] = actor.balance


@pytest.fixture
def store() -> Store:
    return Store()


@pytest.fixture
async def registry(clock: FakeClock, store: Store) -> AsyncIterator[Registry]:
    registry = Registry(max_active=3, clock=clock)
    registry.register("account", store.activate, passivate=store.passivate, idle_timeout=10)
    registry.start()
    yield registry
    await registry.aclose()


async def test_get_activates_on_first_use_and_then_reuses_the_actor(
    registry: Registry, store: Store
) -> None:
    first = await registry.get("account", "alice")
    second = await registry.get("account", "alice")
    assert first is second
    assert store.activations == ["alice"]
    assert await first.ask(5) == 5


async def test_concurrent_gets_of_one_key_share_a_single_activation(
    registry: Registry, store: Store
) -> None:
    store.gate = asyncio.Event()
    getters = [asyncio.create_task(registry.get("account", "bob")) for _ in range(5)]
    await wait_until(lambda: store.activations == ["bob"])
    store.gate.set()
    refs = await asyncio.gather(*getters)
    assert all(ref is refs[0] for ref in refs)
    assert store.activations == ["bob"]


async def test_an_idle_actor_is_passivated_and_its_state_persisted(
    registry: Registry, store: Store, clock: FakeClock
) -> None:
    ref = await registry.get("account", "carol")
    await ref.ask(7)
    await clock.advance(12)
    await wait_until(lambda: store.passivations == ["carol"])
    assert not registry.is_active("account", "carol")
    assert store.balances == {"carol": 7}
    assert ref.terminated


async def test_reactivation_after_passivation_keeps_the_state(
    registry: Registry, store: Store, clock: FakeClock
) -> None:
    actor = registry.ref("account", "dave")
    await actor.ask(10)
    await clock.advance(12)
    await wait_until(lambda: store.passivations == ["dave"])
    assert await actor.ask(1) == 11
    assert store.activations == ["dave", "dave"]


async def test_an_actor_in_use_is_not_passivated(
    registry: Registry, store: Store, clock: FakeClock
) -> None:
    actor = registry.ref("account", "erin")
    for _ in range(4):
        await actor.tell(1)
        await clock.advance(6)
    assert store.passivations == []
    assert registry.is_active("account", "erin")


async def test_the_least_recently_used_actor_is_passivated_at_the_cap(
    registry: Registry, store: Store
) -> None:
    for key in ("a", "b", "c"):
        await registry.get("account", key)
    await registry.get("account", "a")  # "b" is now the least recently used
    await registry.get("account", "d")
    assert store.passivations == ["b"]
    assert registry.statistics().active == 3


async def test_a_key_being_passivated_is_reactivated_only_afterwards(
    clock: FakeClock, store: Store
) -> None:
    registry = Registry(clock=clock)
    hook_gate = asyncio.Event()
    events: list[str] = []

    async def slow_passivate(key: str, actor: Actor) -> None:
        events.append("passivate:start")
        await hook_gate.wait()
        events.append("passivate:end")

    async def activate(key: str) -> Actor:
        events.append("activate")
        return Account(key, 0)

    registry.register("account", activate, passivate=slow_passivate)
    await registry.get("account", "k")
    passivating = asyncio.create_task(registry.passivate("account", "k"))
    await wait_until(lambda: "passivate:start" in events)
    getter = asyncio.create_task(registry.get("account", "k"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert events == ["activate", "passivate:start"]
    hook_gate.set()
    await passivating
    await getter
    assert events == ["activate", "passivate:start", "passivate:end", "activate"]
    await registry.aclose()


async def test_aclose_passivates_every_actor_and_refuses_new_ones(
    registry: Registry, store: Store
) -> None:
    for key in ("x", "y"):
        await (await registry.get("account", key)).ask(1)
    await registry.aclose()
    assert sorted(store.passivations) == ["x", "y"]
    assert store.balances == {"x": 1, "y": 1}
    with pytest.raises(RegistryError, match="closed"):
        await registry.get("account", "z")


async def test_an_unknown_kind_is_a_clear_error(registry: Registry) -> None:
    with pytest.raises(UnknownActorKindError, match=r"'brain'.*known: \['account'\]"):
        await registry.get("brain", "1")


async def test_a_crashed_actor_is_dropped_without_persisting_and_comes_back(
    registry: Registry, store: Store
) -> None:
    actor = registry.ref("account", "f")
    store.balances["f"] = 100
    await actor.ask(5)
    with pytest.raises(RuntimeError, match="corrupted"):
        await actor.ask("boom")
    assert store.passivations == []
    assert await actor.ask(1) == 101  # reloaded from the last persisted state
    assert registry.statistics().crashes_total == 1


async def test_a_failed_activation_is_not_cached(registry: Registry, store: Store) -> None:
    store.fail_next = True
    with pytest.raises(ConnectionError):
        await registry.get("account", "g")
    assert not registry.is_active("account", "g")
    assert await (await registry.get("account", "g")).ask(1) == 1


async def test_registering_a_kind_twice_is_rejected(registry: Registry, store: Store) -> None:
    with pytest.raises(RegistryError, match="already registered"):
        registry.register("account", store.activate)


async def test_statistics_count_activations_and_passivations(
    registry: Registry, store: Store
) -> None:
    await registry.get("account", "h")
    await registry.passivate("account", "h")
    stats = registry.statistics()
    assert (stats.active, stats.activations_total, stats.passivations_total) == (0, 1, 1)


async def test_activation_is_refused_when_every_slot_is_still_activating(
    clock: FakeClock, store: Store
) -> None:
    registry = Registry(max_active=1, clock=clock)
    registry.register("account", store.activate)
    store.gate = asyncio.Event()
    first = asyncio.create_task(registry.get("account", "a"))
    await wait_until(lambda: store.activations == ["a"])
    with pytest.raises(RegistryError, match="max_active=1 with every slot still activating"):
        await registry.get("account", "b")
    store.gate.set()
    await first
    await registry.aclose()


def test_invalid_registry_settings_are_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="max_active must be >= 1"):
        Registry(max_active=0)
    with pytest.raises(ValueError, match="idle_timeout > 0"):
        Registry().register("k", store.activate, idle_timeout=0)
    with pytest.raises(ValueError, match="without '/'"):
        Registry().register("a/b", store.activate)
