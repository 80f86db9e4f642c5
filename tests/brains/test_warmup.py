"""Loading the burst kernels once per process, in a background thread that brain work waits for."""

from __future__ import annotations

import asyncio
import threading

import pytest
from structlog.testing import capture_logs

from brains.warmup import KernelWarmup, kernels_loaded, warm_up_kernels


class Load:
    """A load that blocks until released, noting the thread it ran on."""

    def __init__(self, seconds: float = 0.5, error: Exception | None = None) -> None:
        self.release = threading.Event()
        self.thread: str | None = None
        self._seconds = seconds
        self._error = error

    def __call__(self) -> float:
        self.thread = threading.current_thread().name
        assert self.release.wait(10)
        if self._error is not None:
            raise self._error
        return self._seconds


async def _pending(task: asyncio.Task[None]) -> bool:
    await asyncio.sleep(0.05)
    return not task.done()


def test_warm_up_kernels_loads_once_per_process() -> None:
    # The suite loaded them at session start (tests/conftest.py).
    assert kernels_loaded()
    assert warm_up_kernels() == 0.0


@pytest.mark.loop_lag(max_ms=100)
async def test_brain_work_waits_for_the_load_running_in_a_background_thread() -> None:
    load = Load(seconds=0.5)
    warmup = KernelWarmup(load)
    with capture_logs() as logs:
        warmup.start()
        waiter = asyncio.get_running_loop().create_task(warmup.wait())
        assert await _pending(waiter)
        assert warmup.state == "loading"

        load.release.set()
        await asyncio.wait_for(waiter, 5)

    assert load.thread == "kernel warm-up"
    assert (warmup.state, warmup.seconds, warmup.error) == ("ready", 0.5, None)
    assert [(e["event"], e["seconds"]) for e in logs] == [("kernels.loaded", 0.5)]


async def test_a_failed_load_is_logged_and_kept_and_lets_brain_work_proceed() -> None:
    error = RuntimeError("no LLVM today")
    load = Load(error=error)
    load.release.set()
    warmup = KernelWarmup(load)
    with capture_logs() as logs:
        warmup.start()
        await asyncio.wait_for(warmup.wait(), 5)  # returns: the brain work fails on its own

    assert (warmup.state, warmup.error) == ("failed", error)
    assert [(e["event"], e["log_level"], e["exc_info"]) for e in logs] == [
        ("kernels.load_failed", "error", error)
    ]


async def test_brain_work_stops_waiting_for_a_slow_load_after_the_timeout() -> None:
    load = Load()
    warmup = KernelWarmup(load, wait_timeout_s=0.05)
    warmup.start()
    try:
        await asyncio.wait_for(warmup.wait(), 5)
        assert warmup.state == "loading"
    finally:
        load.release.set()


async def test_a_load_with_nothing_to_do_is_not_logged() -> None:
    warmup = KernelWarmup(lambda: 0.0)
    with capture_logs() as logs:
        warmup.start()
        await asyncio.wait_for(warmup.wait(), 5)
    assert warmup.state == "ready"
    assert logs == []


async def test_a_warm_up_starts_once() -> None:
    warmup = KernelWarmup(lambda: 0.0)
    warmup.start()
    with pytest.raises(RuntimeError, match="started already"):
        warmup.start()
    await warmup.wait()
