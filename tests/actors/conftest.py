from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actors import ActorSystem, Backoff, EventHub, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def system(clock: FakeClock) -> AsyncIterator[ActorSystem]:
    system = ActorSystem(clock=clock, events=EventHub(), backoff=Backoff(initial=0))
    await system.start()
    yield system
    await system.aclose(timeout=2)
