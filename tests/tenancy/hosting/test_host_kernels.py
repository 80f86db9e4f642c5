"""Brain work waits for the burst kernels the service loads in the background."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from host_support import inline

from actors import ActorSystem, FakeClock
from brains.hosting import TickScheduler
from tenancy.hosting import BrainHost, HostConfig
from tenancy.store import Store


class Kernels:
    """Stands in for the background load: brain work awaits ``ready`` until ``load``."""

    def __init__(self, *, loaded: bool = False) -> None:
        self.awaited = asyncio.Event()
        self._loaded = asyncio.Event()
        if loaded:
            self._loaded.set()

    async def ready(self) -> None:
        self.awaited.set()
        await self._loaded.wait()

    def load(self) -> None:
        self._loaded.set()


MakeHost = Callable[[Kernels], Awaitable[BrainHost]]


@pytest.fixture
async def make_host(store: Store, clock: FakeClock, config: HostConfig) -> AsyncIterator[MakeHost]:
    """Started hosts whose brain work waits for the given kernels."""
    started: list[tuple[ActorSystem, BrainHost]] = []

    async def make(kernels: Kernels) -> BrainHost:
        system = ActorSystem(clock=clock)
        scheduler = TickScheduler(clock=clock, run_sync=inline)
        host = BrainHost(
            system, store, config, clock=clock, scheduler=scheduler, kernels_ready=kernels.ready
        )
        await system.start()
        await host.start()
        started.append((system, host))
        return host

    yield make
    for system, host in reversed(started):
        await host.aclose()
        await system.aclose()


async def test_creating_a_brain_waits_for_the_kernels(make_host: MakeHost, store: Store) -> None:
    kernels = Kernels()
    host = await make_host(kernels)

    created = asyncio.ensure_future(host.create_brain("w1", name="a", template="barebones"))
    await asyncio.wait_for(kernels.awaited.wait(), 10)
    assert not created.done()
    assert await store.workspace("w1").brains.list() == []  # nothing developed yet

    kernels.load()
    info = await asyncio.wait_for(created, 30)
    assert info.stats.neuron_count > 0


async def test_activating_a_stored_brain_waits_for_the_kernels(make_host: MakeHost) -> None:
    first = await make_host(Kernels(loaded=True))
    brain = await first.create_brain("w1", name="a", template="barebones")
    await first.aclose()

    kernels = Kernels()
    second = await make_host(kernels)  # a new process: the brain is only in the store
    read = asyncio.ensure_future(second.get_brain("w1", brain.id))
    await asyncio.wait_for(kernels.awaited.wait(), 10)
    assert not read.done()

    kernels.load()
    assert (await asyncio.wait_for(read, 30)).id == brain.id
