"""The suite's loop-lag watchdog counts work done on the loop, not time the OS took away."""

from __future__ import annotations

import asyncio
import time

import pytest
from loop_lag import LoopLagWatch


def _spin(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


@pytest.mark.loop_lag(max_ms=None)
async def test_cpu_work_on_the_loop_is_measured(loop_lag: LoopLagWatch) -> None:
    await asyncio.sleep(0.02)
    _spin(0.3)
    await asyncio.sleep(0.02)
    assert loop_lag.worst_ms >= 100


@pytest.mark.loop_lag(max_ms=None)
async def test_cpu_work_in_a_worker_thread_is_not(loop_lag: LoopLagWatch) -> None:
    await asyncio.to_thread(_spin, 0.3)
    assert loop_lag.worst_ms < 100
