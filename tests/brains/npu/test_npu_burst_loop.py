"""BurstLoop: pacing on a fake clock, control, and a responsive event loop while bursting."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import anyio
import numpy as np
import pytest
from npu_builders import Area, Group, build_spec

from brains.npu import BurstEngine, InvalidInputError
from brains.npu.burst_loop import BurstLoop, BurstLoopState


class FakeClock:
    """Time only moves when a sleep or a (simulated) burst moves it."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)
        await anyio.lowlevel.checkpoint()


class FakeEngine:
    def __init__(self, clock: FakeClock, cost: Callable[[int], float]) -> None:
        self.clock = clock
        self.cost = cost
        self.burst_count = 0
        self.starts: list[float] = []

    def step_n(self, n: int, *, record: int = 0) -> None:
        for _ in range(n):
            self.starts.append(self.clock.now)
            self.clock.now += self.cost(self.burst_count)
            self.burst_count += 1


async def _inline(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


def _loop(engine: FakeEngine, clock: FakeClock, hz: float | None, **kw: Any) -> BurstLoop:
    return BurstLoop(
        engine, frequency_hz=hz, clock=clock, sleep=clock.sleep, run_sync=_inline, **kw
    )


async def _run_until(loop: BurstLoop, engine: FakeEngine, bursts: int) -> None:
    async with anyio.create_task_group() as tg:
        await tg.start(loop.run)
        while engine.burst_count < bursts:
            await anyio.lowlevel.checkpoint()
        loop.stop()


async def test_bursts_start_on_a_fixed_schedule_at_the_target_frequency() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.003 if k % 2 else 0.001)
    loop = _loop(engine, clock, 50.0)
    await _run_until(loop, engine, 40)
    gaps = np.diff(engine.starts)
    assert np.allclose(gaps, 0.02)
    stats = loop.statistics()
    assert stats.achieved_hz == pytest.approx(50.0)
    assert stats.jitter_s == pytest.approx(0.0, abs=1e-9)
    assert stats.overruns == 0
    assert stats.state is BurstLoopState.STOPPED


async def test_an_overrunning_burst_restarts_the_schedule_instead_of_catching_up() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.25 if k == 5 else 0.001)
    loop = _loop(engine, clock, 10.0)
    await _run_until(loop, engine, 12)
    gaps = np.diff(engine.starts)
    assert gaps.min() == pytest.approx(0.1)  # never back to back after the slow burst
    assert loop.statistics().overruns == 1


async def test_as_fast_as_possible_runs_chunks_back_to_back() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.001)
    loop = _loop(engine, clock, None, chunk_bursts=10)
    await _run_until(loop, engine, 100)
    assert loop.statistics().achieved_hz == pytest.approx(1000.0)
    assert engine.burst_count % 10 == 0


async def test_pause_stops_bursting_until_resume_and_step_runs_bursts_while_paused() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.001)
    loop = _loop(engine, clock, 100.0)
    async with anyio.create_task_group() as tg:
        await tg.start(loop.run)
        while engine.burst_count < 5:
            await anyio.lowlevel.checkpoint()
        loop.pause()
        paused_at = engine.burst_count
        for _ in range(50):
            await anyio.lowlevel.checkpoint()
        assert engine.burst_count == paused_at
        assert loop.state is BurstLoopState.PAUSED
        assert await loop.step(3) == paused_at + 3
        loop.resume()
        while engine.burst_count < paused_at + 10:
            await anyio.lowlevel.checkpoint()
        loop.stop()
    assert loop.state is BurstLoopState.STOPPED


async def test_a_stop_right_after_start_is_not_lost_and_a_stopped_loop_runs_again() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.001)
    seen: list[int] = []

    async def on_burst(count: int) -> None:
        seen.append(count)

    loop = _loop(engine, clock, 100.0, on_burst=on_burst)
    async with anyio.create_task_group() as tg:
        await tg.start(loop.run)
        loop.stop()
    assert loop.state is BurstLoopState.STOPPED
    await _run_until(loop, engine, 5)
    assert seen[:5] == [1, 2, 3, 4, 5]


async def test_running_a_loop_twice_at_once_is_refused() -> None:
    clock = FakeClock()
    loop = _loop(FakeEngine(clock, cost=lambda k: 0.001), clock, 100.0)
    async with anyio.create_task_group() as tg:
        await tg.start(loop.run)
        with pytest.raises(InvalidInputError, match="already running"):
            await loop.run()
        loop.stop()


async def test_set_frequency_changes_the_pace() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.0)
    loop = _loop(engine, clock, 10.0)
    async with anyio.create_task_group() as tg:
        await tg.start(loop.run)
        while engine.burst_count < 3:
            await anyio.lowlevel.checkpoint()
        loop.set_frequency(100.0)
        mark = engine.burst_count
        while engine.burst_count < mark + 10:
            await anyio.lowlevel.checkpoint()
        loop.stop()
    assert np.allclose(np.diff(engine.starts[-9:]), 0.01)
    assert loop.statistics().achieved_hz == pytest.approx(100.0)


async def test_step_refuses_a_negative_count() -> None:
    clock = FakeClock()
    loop = _loop(FakeEngine(clock, cost=lambda k: 0.0), clock, 10.0)
    with pytest.raises(InvalidInputError, match="burst count must be >= 0"):
        await loop.step(-1)


async def test_call_runs_between_bursts_on_the_engine() -> None:
    clock = FakeClock()
    engine = FakeEngine(clock, cost=lambda k: 0.001)
    loop = _loop(engine, clock, 100.0)
    assert await loop.call(lambda e: e.burst_count) == 0


def test_a_frequency_outside_the_allowed_range_is_refused() -> None:
    clock = FakeClock()
    with pytest.raises(InvalidInputError, match="frequency must be in"):
        _loop(FakeEngine(clock, cost=lambda k: 0.0), clock, 0.0)
    with pytest.raises(InvalidInputError, match="frequency must be in"):
        _loop(FakeEngine(clock, cost=lambda k: 0.0), clock, float("nan"))


@pytest.fixture(scope="module")
def large_engine() -> BurstEngine:
    """~100k neurons x 50 synapses, every neuron driven each burst; compiled before the test."""
    n, per = 100_000, 50
    rng = np.random.default_rng(0)
    spec = build_spec(
        [Area("pwr", power=True), Area("net", dims=(250, 400, 1), accumulate=True, leak=0.1)],
        [],
        [Group(0, 1), Group(1, 1)],
    )
    sources = np.concatenate([np.zeros(n, np.int64), np.repeat(np.arange(1, n + 1), per)])
    targets = np.concatenate([np.arange(1, n + 1), rng.integers(1, n + 1, n * per)])
    weights = np.concatenate([np.full(n, 0.12), rng.choice([0.05, -0.2], n * per, p=[0.8, 0.2])])
    spec = dataclasses.replace(
        spec,
        synapse_source=sources.astype(np.uint32),
        synapse_target=targets.astype(np.uint32),
        synapse_weight=weights.astype(np.float32),
        synapse_psp=np.ones(sources.shape[0], np.float32),
        synapse_group=np.concatenate([np.zeros(n), np.ones(n * per)]).astype(np.uint16),
    )
    engine = BurstEngine(spec, seed=1)
    engine.step_n(3)
    return engine


@pytest.mark.loop_lag(max_ms=60)
async def test_the_event_loop_stays_responsive_while_a_large_network_bursts(
    large_engine: BurstEngine, loop_lag: Any
) -> None:
    loop = BurstLoop(large_engine, frequency_hz=None, chunk_bursts=64)
    worst = 0.0
    async with anyio.create_task_group() as tg:
        await tg.start(loop.run)
        end = time.perf_counter() + 1.5
        while time.perf_counter() < end:
            before = time.perf_counter()
            await anyio.sleep(0.002)
            worst = max(worst, time.perf_counter() - before - 0.002)
        loop.stop()
    stats = loop.statistics()
    assert stats.last_call_s > 0.1  # a single worker call would have blocked the loop this long
    assert worst < stats.last_call_s / 2


async def test_a_failing_burst_stops_the_loop_and_reaches_the_host() -> None:
    clock = FakeClock()

    def broken(k: int) -> float:
        raise RuntimeError("kernel failed")

    loop = _loop(FakeEngine(clock, cost=broken), clock, 100.0)
    with pytest.raises(RuntimeError, match="kernel failed"):
        await loop.run()
    assert loop.state is BurstLoopState.STOPPED
