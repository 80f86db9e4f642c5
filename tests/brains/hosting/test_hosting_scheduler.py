"""The shared tick scheduler: one worker call per tick for a whole frequency group, batched
cohorts of tiny brains and a loop for the others, pacing, report coalescing, failure
isolation, exclusive access (fake clock, counted worker calls)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from actors import FakeClock
from brains.brain import Brain
from brains.genome import load_template
from brains.hosting import BurstReport, TickMember, TickScheduler
from brains.npu import BrainBatch


@pytest.fixture(scope="module")
def genome() -> Any:
    brain = Brain.develop(load_template("barebones"))
    brain.step(2)  # load the compiled kernels outside the event loop
    brain.motor()
    return load_template("barebones")


class Worker:
    """Runs worker calls inline and counts them (as a thread pool would see them)."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, fn: Callable[..., Any], *args: Any) -> Any:
        self.calls += 1
        return fn(*args)


async def counts(scheduler: TickScheduler, members: list[TickMember]) -> list[int]:
    """Burst counters, brought up to date from the batches first."""
    for handle in members:
        await scheduler.refresh(handle)
    return [handle.brain.burst_count for handle in members]


class Recorder:
    def __init__(self) -> None:
        self.reports: list[BurstReport] = []
        self.failures: list[BaseException] = []


def member(
    scheduler: TickScheduler, key: str, brain: Brain, recorder: Recorder | None = None
) -> TickMember:
    rec = recorder or Recorder()
    return scheduler.member(
        key, brain, on_report=rec.reports.append, on_failure=rec.failures.append
    )


async def run_for(clock: FakeClock, seconds: float, step: float = 0.01) -> None:
    for _ in range(round(seconds / step)):
        await clock.advance(step)


@pytest.mark.parametrize("batch_size", [1_000, 0], ids=["batched", "looped"])
async def test_a_whole_frequency_group_bursts_in_one_worker_call_per_tick(
    genome: Any, batch_size: int
) -> None:
    clock, worker = FakeClock(), Worker()
    scheduler = TickScheduler(clock=clock, run_sync=worker, wants_report=lambda key: False,
                              batch_size=batch_size, cohort_size=16, repack_share=1e9)
    handles = [member(scheduler, f"b{n}", Brain.develop(genome)) for n in range(50)]
    for handle in handles:
        scheduler.join(handle, 10.0)

    await run_for(clock, 1.0)
    live = [scheduler.burst_count(handle) for handle in handles]
    bursts = await counts(scheduler, handles)
    await scheduler.aclose()

    assert 10 <= worker.calls <= 11
    assert set(bursts) == {worker.calls}
    assert live == bursts


async def test_batched_brains_burst_exactly_as_they_would_alone(genome: Any) -> None:
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker(), cohort_size=4, repack_share=1e9)
    handles = [member(scheduler, f"b{n}", Brain.develop(genome, seed=n)) for n in range(6)]
    alone = [Brain.develop(genome, seed=n) for n in range(6)]
    for handle in handles:
        scheduler.join(handle, 10.0)

    await run_for(clock, 1.0)
    bursts = await counts(scheduler, handles)
    await scheduler.aclose()
    for brain, n in zip(alone, bursts, strict=True):
        brain.step(n)

    for handle, brain in zip(handles, alone, strict=True):
        assert handle.brain.snapshot() == brain.snapshot()


async def test_leaving_and_joining_keeps_a_batched_brains_counter(genome: Any) -> None:
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker())
    moving, staying = Brain.develop(genome), Brain.develop(genome)
    handle = member(scheduler, "moving", moving)
    scheduler.join(handle, 10.0)
    scheduler.join(member(scheduler, "staying", staying), 10.0)
    await run_for(clock, 0.5)

    scheduler.leave(handle)
    await run_for(clock, 0.5)
    paused = (await counts(scheduler, [handle]))[0]
    scheduler.join(handle, 20.0)
    await run_for(clock, 0.5)
    resumed = (await counts(scheduler, [handle]))[0]
    await scheduler.aclose()

    assert 5 <= paused <= 6
    assert paused + 9 <= resumed <= paused + 11


async def test_groups_keep_their_own_frequencies(genome: Any) -> None:
    clock, worker = FakeClock(), Worker()
    scheduler = TickScheduler(clock=clock, run_sync=worker)
    slow = member(scheduler, "slow", Brain.develop(genome))
    fast = member(scheduler, "fast", Brain.develop(genome))
    scheduler.join(slow, 5.0)
    scheduler.join(fast, 50.0)

    await run_for(clock, 1.0, step=0.005)
    bursts = await counts(scheduler, [slow, fast])
    await scheduler.aclose()

    assert 5 <= bursts[0] <= 6
    assert 49 <= bursts[1] <= 51
    assert scheduler.statistics().groups == 0


async def test_a_large_brain_gets_a_group_of_its_own(genome: Any) -> None:
    clock, worker = FakeClock(), Worker()
    scheduler = TickScheduler(clock=clock, run_sync=worker, solo_size=5)
    small = Brain.develop(load_template("barebones"))  # 7 neurons > 5: solo as well
    other = Brain.develop(load_template("barebones"))
    scheduler.join(member(scheduler, "a", small), 10.0)
    scheduler.join(member(scheduler, "b", other), 10.0)

    assert scheduler.statistics().groups == 2
    await scheduler.aclose()


async def test_reports_are_coalesced_to_the_report_rate(genome: Any) -> None:
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker(), report_hz=30.0)
    recorder = Recorder()
    handle = member(scheduler, "b", Brain.develop(genome), recorder)
    scheduler.join(handle, 200.0)

    await run_for(clock, 1.0, step=0.005)
    bursts = (await counts(scheduler, [handle]))[0]
    await scheduler.aclose()

    assert bursts >= 190
    assert 28 <= len(recorder.reports) <= 31
    assert recorder.reports[-1]["burst"] <= bursts
    assert set(recorder.reports[-1]) == {"burst", "fired", "motor"}


async def test_nothing_is_reported_when_nobody_listens(genome: Any) -> None:
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker(), wants_report=lambda key: False)
    recorder = Recorder()
    handle = member(scheduler, "b", Brain.develop(genome), recorder)
    scheduler.join(handle, 20.0)

    await run_for(clock, 0.5)
    bursts = (await counts(scheduler, [handle]))[0]
    await scheduler.aclose()

    assert bursts >= 9 and recorder.reports == []


@pytest.mark.parametrize("batch_size", [1_000, 0], ids=["batched", "looped"])
async def test_a_failing_brain_leaves_its_group_and_the_others_keep_bursting(
    genome: Any, batch_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    if batch_size:  # a batch that fails falls back to bursting its brains one by one
        def failing_batch(self: BrainBatch) -> int:
            raise RuntimeError("deliberate batch failure")

        monkeypatch.setattr(BrainBatch, "step", failing_batch)
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker(), batch_size=batch_size)
    good, bad, recorder = Brain.develop(genome), Brain.develop(genome), Recorder()

    def broken(n: int = 1) -> int:
        raise RuntimeError("deliberate")

    bad.step = broken  # type: ignore[method-assign]
    bad_member = member(scheduler, "bad", bad, recorder)
    scheduler.join(member(scheduler, "good", good), 10.0)
    scheduler.join(bad_member, 10.0)

    good_member = next(iter(scheduler._groups.values())).members["good"]
    await run_for(clock, 1.0)
    bursts = await counts(scheduler, [good_member])
    await scheduler.aclose()

    assert [str(e) for e in recorder.failures] == ["deliberate"]
    assert not bad_member.scheduled
    assert bursts[0] >= 10


async def test_an_exclusive_brain_is_left_out_of_ticks(genome: Any) -> None:
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker())
    held, free = Brain.develop(genome), Brain.develop(genome)
    held_member = member(scheduler, "held", held)
    free_member = member(scheduler, "free", free)
    scheduler.join(held_member, 10.0)
    scheduler.join(free_member, 10.0)

    async with scheduler.exclusive(held_member):
        before = held.burst_count
        await run_for(clock, 0.5)
        during = held.burst_count - before
    await run_for(clock, 0.5)
    bursts = await counts(scheduler, [held_member, free_member])
    await scheduler.aclose()

    assert during == 0 and bursts[1] >= 10
    assert bursts[0] - before >= 4


async def test_exclusive_waits_for_the_tick_that_is_stepping_the_brain(genome: Any) -> None:
    release = asyncio.Event()
    entered = asyncio.Event()

    async def slow_worker(fn: Callable[..., Any], *args: Any) -> Any:
        entered.set()
        await release.wait()
        return fn(*args)

    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=slow_worker)
    brain = Brain.develop(genome)
    handle = member(scheduler, "b", brain)
    scheduler.join(handle, 10.0)
    await entered.wait()
    order: list[str] = []

    async def mutate() -> None:
        async with scheduler.exclusive(handle):
            order.append(f"mutation after {brain.burst_count} bursts")

    task = asyncio.create_task(mutate())
    await asyncio.sleep(0)
    order.append("tick released")
    release.set()
    await task
    scheduler.leave(handle)
    await scheduler.aclose()

    assert order == ["tick released", "mutation after 1 bursts"]


async def test_a_wave_of_joins_is_packed_a_cohort_per_tick_past_the_budget(genome: Any) -> None:
    clock = FakeClock()
    scheduler = TickScheduler(clock=clock, run_sync=Worker(), cohort_size=16, repack_share=0.0)
    for n in range(50):
        scheduler.join(member(scheduler, f"b{n}", Brain.develop(genome)), 10.0)

    packed: dict[int, int] = {}
    for _ in range(60):
        await clock.advance(0.01)
        stats = scheduler.statistics()
        packed[stats.ticks] = stats.batched
    await scheduler.aclose()

    assert [packed[tick] for tick in range(1, 6)] == [16, 32, 48, 50, 50]
