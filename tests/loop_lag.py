"""The loop-lag watch behind the suite's watchdog fixture (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time

__all__ = ["TICK_S", "LoopLagWatch"]

TICK_S = 0.005


class LoopLagWatch:
    """Samples how late a periodic tick wakes up; ``worst_ms`` is the longest block seen.

    A late tick counts only as far as the loop's own thread was busy computing meanwhile
    (thread CPU time), so a test is failed by work that blocked the loop, not by the OS
    scheduling the process out on a loaded machine. Blocking *waits* (sync I/O) are not
    caught this way; the code keeps those on worker threads by construction.
    """

    def __init__(self) -> None:
        self.worst_ms = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        while True:
            before, before_cpu = time.perf_counter(), time.thread_time()
            await asyncio.sleep(TICK_S)
            late_ms = (time.perf_counter() - before - TICK_S) * 1000
            busy_ms = (time.thread_time() - before_cpu) * 1000
            self.worst_ms = max(self.worst_ms, min(late_ms, busy_ms))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
