"""Suite-wide fixtures. Every async test runs under a watchdog that fails it when the event
loop was blocked for longer than allowed (CPU work belongs in worker threads)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Iterator

import pytest

# Generous for shared 2-core CI machines; a real blocking call (a kernel or a sync DB call on
# the loop) shows up as hundreds of ms. Tighten per test with @pytest.mark.loop_lag(max_ms=...).
DEFAULT_MAX_LOOP_LAG_MS = 250.0
_TICK_S = 0.005


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "loop_lag(max_ms=None): event-loop lag budget for this async test (None: off)"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile (or load from numba's cache) every burst kernel before any test runs.

    On a fresh clone the first kernel call compiles for seconds while holding the GIL; done
    inside an async test, that would trip the loop-lag watchdog for a reason no product code
    has (the service pays it once at start-up, before it reports ready).
    """
    from brains.warmup import warm_up_kernels

    warm_up_kernels()


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
            await asyncio.sleep(_TICK_S)
            late_ms = (time.perf_counter() - before - _TICK_S) * 1000
            busy_ms = (time.thread_time() - before_cpu) * 1000
            self.worst_ms = max(self.worst_ms, min(late_ms, busy_ms))

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task


@pytest.fixture
async def loop_lag() -> AsyncIterator[LoopLagWatch]:
    """Watch the running loop for the length of the test."""
    watch = LoopLagWatch()
    watch.start()
    yield watch
    await watch.stop()


@pytest.fixture(autouse=True)
def _fail_on_blocked_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    if not inspect.iscoroutinefunction(getattr(request, "function", None)):
        yield
        return
    marker = request.node.get_closest_marker("loop_lag")
    limit = DEFAULT_MAX_LOOP_LAG_MS
    if marker is not None:
        limit = marker.kwargs.get("max_ms", DEFAULT_MAX_LOOP_LAG_MS)
    if limit is None:
        yield
        return
    watch: LoopLagWatch = request.getfixturevalue("loop_lag")
    yield
    if watch.worst_ms > limit:
        pytest.fail(
            f"the event loop was blocked for {watch.worst_ms:.0f} ms (budget {limit:.0f} ms): "
            "move CPU work off the loop (a worker thread or a batched kernel call)",
            pytrace=False,
        )
