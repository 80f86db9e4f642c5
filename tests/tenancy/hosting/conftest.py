"""Fixtures for the brain host: a real SQLite store, a real actor system on a fake clock,
and the host with its tick scheduler running bursts inline (deterministic counts)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from host_support import IDLE_S, Hosted

from actors import FakeClock
from brains.brain import Brain
from brains.genome import load_template
from tenancy.hosting import HostConfig, Quotas
from tenancy.store import Store, Workspace, open_store


@pytest.fixture(scope="session", autouse=True)
def _warm_kernels() -> None:
    """Load the compiled burst kernels once, outside any event loop (bursts run inline here)."""
    brain = Brain.develop(load_template("barebones"))
    brain.step(2)
    brain.motor()
    Brain.restore(brain.snapshot())


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await open_store("sqlite:///store", data_dir=tmp_path)
    for ws in ("w1", "w2"):
        await opened.workspaces.create(
            Workspace(id=ws, slug=ws, name=ws.upper(), created_at=datetime.now(UTC))
        )
        await opened.provision_workspace(ws)
    yield opened
    await opened.aclose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def config() -> HostConfig:
    return HostConfig(
        brain_idle_s=IDLE_S,
        quotas=Quotas(max_brains=5, max_neurons=60_000, max_synapses=100_000,
                      max_frequency_hz=200.0, max_ws_connections=2),
        restart_backoff_s=0.01,
        restart_max=3,
        restart_within_s=10.0,
    )


@pytest.fixture
async def hosted(store: Store, clock: FakeClock, config: HostConfig) -> AsyncIterator[Hosted]:
    world = Hosted(store, clock, config)
    await world.start()
    yield world
    await world.aclose()
