"""Suite-wide fixtures. Every async test runs under a watchdog that fails it when the event
loop was blocked for longer than allowed (CPU work belongs in worker threads)."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator

import pytest
from loop_lag import LoopLagWatch

# Measured as the loop thread's own CPU during a late tick. Fixture work done on the loop
# (building an app and its OpenAPI document, a full garbage collection of a large heap) costs
# 100-400 ms of it on a busy 2-core CI machine, so the suite-wide budget is 1 s: blocking work
# from the product (a kernel, developing or parsing a genome on the loop) is caught when it is
# of that order. Tests of non-blocking behaviour tighten it with @pytest.mark.loop_lag(max_ms=).
DEFAULT_MAX_LOOP_LAG_MS = 1000.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "loop_lag(max_ms=None): event-loop lag budget for this async test (None: off)"
    )


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile (or load from numba's cache) every burst kernel before any test runs.

    On a fresh clone the first kernel call compiles for seconds while holding the GIL; done
    inside an async test, that would trip the loop-lag watchdog for a reason no product code
    has (the service pays it once, in a background thread started once it is ready).
    """
    from brains.warmup import warm_up_kernels

    warm_up_kernels()


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
