"""Injectable time: the runtime reads ``monotonic()`` and awaits ``sleep()`` through a Clock.

Supervisor back-off, restart intensity and registry idle passivation all use it, so tests
swap in a :class:`FakeClock` and move time by hand instead of sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "FakeClock", "SystemClock"]


@runtime_checkable
class Clock(Protocol):
    """Monotonic seconds and an awaitable sleep on the same time line."""

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: ``time.monotonic`` and ``asyncio.sleep``."""

    __slots__ = ()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class FakeClock:
    """Time that only moves when told to; sleepers wake in deadline order on :meth:`advance`."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed = asyncio.Event()

    def monotonic(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._now + seconds, next(self._order), future))
        self._changed.set()
        await future

    @property
    def sleepers(self) -> int:
        """How many tasks are currently sleeping on this clock."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    async def wait_for_sleepers(self, count: int = 1) -> None:
        """Wait until at least ``count`` tasks sleep on this clock (no time passes)."""
        while self.sleepers < count:
            self._changed.clear()
            await self._changed.wait()

    async def advance(self, seconds: float) -> None:
        """Move time forward, waking every sleeper whose deadline is reached, in order.

        Each woken task gets a few loop turns to run before the next deadline is applied, so
        a sleeper that sleeps again within the window is woken again in the same call.
        """
        if seconds < 0:
            raise ValueError(f"a clock cannot go backwards (advance by {seconds})")
        target = self._now + seconds
        while self._sleepers and self._sleepers[0][0] <= target:
            deadline, _, future = heapq.heappop(self._sleepers)
            self._now = max(self._now, deadline)
            if not future.done():
                future.set_result(None)
                for _ in range(5):
                    await asyncio.sleep(0)
        self._now = target
        await asyncio.sleep(0)
