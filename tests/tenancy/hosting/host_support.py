"""Helpers for the brain host tests: a host on a fake clock and event draining."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from actors import ActorSystem, FakeClock, Missed, Subscription
from brains.hosting import TickScheduler
from tenancy.hosting import BrainHost, HostConfig
from tenancy.store import Store

IDLE_S = 60.0


async def inline(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


class Hosted:
    """A started host and what tests need around it; `restart()` simulates a new process."""

    def __init__(self, store: Store, clock: FakeClock, config: HostConfig) -> None:
        self.store = store
        self.clock = clock
        self.config = config
        #: What the next host made (by `restart`) awaits before brain work, like the app's
        #: background kernel load.
        self.kernels_ready: Callable[[], Awaitable[object]] | None = None
        self.system = ActorSystem(clock=clock)
        self.host = self._make()

    def _make(self) -> BrainHost:
        scheduler = TickScheduler(
            clock=self.clock, run_sync=inline, report_hz=self.config.event_hz,
            wants_report=lambda key: True, batch_size=self.config.batch_size,
            cohort_size=self.config.cohort_size, repack_share=1e9,
        )
        return BrainHost(self.system, self.store, self.config, clock=self.clock,
                         scheduler=scheduler, kernels_ready=self.kernels_ready)

    async def start(self) -> None:
        await self.system.start()
        await self.host.start()

    async def aclose(self) -> None:
        await self.host.aclose()
        await self.system.aclose()

    async def restart(self) -> None:
        await self.aclose()
        self.system = ActorSystem(clock=self.clock)
        self.host = self._make()
        await self.start()

    async def advance(self, seconds: float, step: float = 0.01) -> None:
        """Move the fake clock in small steps so every tick and sweep gets its turn."""
        moved = 0.0
        while moved < seconds - 1e-9:
            await self.clock.advance(step)
            moved += step


def drain(sub: Subscription) -> list[dict[str, Any]]:
    """Every event queued on ``sub`` so far, decoded."""
    out: list[dict[str, Any]] = []
    while True:
        try:
            item = sub.receive_nowait()
        except Exception:
            return out
        if not isinstance(item, Missed):
            out.append(orjson.loads(item.data))
