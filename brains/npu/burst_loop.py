"""``BurstLoop``: runs a brain's bursts at a target frequency from an asyncio (anyio) host.

Bursts run in a worker thread (the kernels release the GIL), so the event loop keeps serving
while a large brain bursts. Input must not race a burst: mutate the engine through
:meth:`BurstLoop.call`, which runs between bursts.

Pacing keeps a fixed schedule (burst k starts at ``t0 + k / hz``) so small delays do not
accumulate; when a burst overruns by more than a whole period the schedule restarts from now
rather than bursting back to back to catch up (counted in ``overruns``).
"""

from __future__ import annotations

import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

import anyio
import anyio.lowlevel
import anyio.to_thread
from anyio.abc import TaskStatus

from brains.npu.errors import InvalidInputError

__all__ = ["BurstLoop", "BurstLoopState", "BurstLoopStatistics", "Steppable"]

T = TypeVar("T")


class Steppable(Protocol):
    """What a loop drives: :class:`BurstEngine` and :class:`BrainBatch` both fit."""

    @property
    def burst_count(self) -> int: ...

    def step_n(self, n: int, *, record: int = 0) -> Any: ...


class BurstLoopState(Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class BurstLoopStatistics:
    state: BurstLoopState
    burst_count: int  # the engine's burst counter
    target_hz: float | None  # None: as fast as possible
    achieved_hz: float  # over the last ``window`` bursts (0.0 until two are seen)
    jitter_s: float  # standard deviation of the interval between burst starts (paced mode)
    overruns: int  # times the schedule slipped by more than a period and restarted
    last_call_s: float  # wall time of the last worker-thread call (one burst or a chunk)


RunSync = Callable[..., Awaitable[Any]]


E = TypeVar("E", bound=Steppable)


class BurstLoop(Generic[E]):
    """Drive ``engine`` at ``frequency_hz`` (``None``: as fast as possible).

    ``clock``/``sleep``/``run_sync`` are injectable for tests (a fake clock, an inline runner).
    """

    def __init__(
        self,
        engine: E,
        *,
        frequency_hz: float | None,
        window: int = 64,
        chunk_bursts: int = 64,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        run_sync: RunSync = anyio.to_thread.run_sync,
        on_burst: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        """``on_burst(burst_count)`` is awaited after each paced burst (after each chunk when
        running as fast as possible), e.g. to publish motor output."""
        self._check_frequency(frequency_hz)
        if window < 2:
            raise InvalidInputError(f"window must be >= 2 bursts, got {window}")
        if chunk_bursts < 1:
            raise InvalidInputError(f"chunk_bursts must be >= 1, got {chunk_bursts}")
        self.engine = engine
        self._hz = frequency_hz
        self._chunk = chunk_bursts
        self._clock = clock
        self._sleep = sleep
        self._run_sync = run_sync
        self._on_burst = on_burst
        self._lock = anyio.Lock()
        self._state = BurstLoopState.IDLE
        self._wake = anyio.Event()
        self._starts: deque[tuple[float, int]] = deque(maxlen=window)
        self._overruns = 0
        self._last_call = 0.0
        self._reschedule = True

    @staticmethod
    def _check_frequency(hz: float | None) -> None:
        if hz is not None and not (math.isfinite(hz) and 0 < hz <= 100_000):
            raise InvalidInputError(f"frequency must be in (0, 100000] Hz or None, got {hz}")

    # --- control --------------------------------------------------------------------------

    @property
    def state(self) -> BurstLoopState:
        return self._state

    @property
    def frequency_hz(self) -> float | None:
        return self._hz

    def set_frequency(self, hz: float | None) -> None:
        """Change the target (``None``: as fast as possible); the schedule restarts."""
        self._check_frequency(hz)
        self._hz = hz
        self._reschedule = True
        self._starts.clear()
        self._poke()

    def pause(self) -> None:
        if self._state is BurstLoopState.RUNNING:
            self._state = BurstLoopState.PAUSED

    def resume(self) -> None:
        if self._state is BurstLoopState.PAUSED:
            self._state = BurstLoopState.RUNNING
            self._reschedule = True
            self._starts.clear()
            self._poke()

    def stop(self) -> None:
        """Ask :meth:`run` to return after the burst in progress."""
        self._state = BurstLoopState.STOPPED
        self._poke()

    def _poke(self) -> None:
        self._wake.set()
        self._wake = anyio.Event()

    async def step(self, n: int = 1) -> int:
        """Run ``n`` bursts now, between scheduled ones (meant for a paused or idle loop)."""
        if n < 0:
            raise InvalidInputError(f"burst count must be >= 0, got {n}")
        await self._bursts(n)
        return self.engine.burst_count

    async def call(self, fn: Callable[[E], T]) -> T:
        """Run ``fn(engine)`` between bursts (inject input, read state); keep it short."""
        async with self._lock:
            return fn(self.engine)

    async def _bursts(self, n: int) -> None:
        async with self._lock:
            started = self._clock()
            await self._run_sync(self.engine.step_n, n)
            self._last_call = self._clock() - started

    # --- the loop -------------------------------------------------------------------------

    async def run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        """Burst until :meth:`stop` (start it with ``await tg.start(loop.run)``: once that
        returns the loop is running, so a following ``stop()`` is never lost). A stopped loop
        can be run again."""
        if self._state in (BurstLoopState.RUNNING, BurstLoopState.PAUSED):
            raise InvalidInputError("this burst loop is already running")
        self._state = BurstLoopState.RUNNING
        self._reschedule = True
        task_status.started()
        try:
            await self._loop()
        finally:
            self._state = BurstLoopState.STOPPED

    async def _loop(self) -> None:
        deadline = 0.0
        while self._state is not BurstLoopState.STOPPED:
            if self._state is BurstLoopState.PAUSED:
                await self._wake.wait()
                continue
            hz = self._hz
            if hz is None:
                self._starts.append((self._clock(), self.engine.burst_count))
                await self._bursts(self._chunk)
                if self._on_burst is not None:
                    await self._on_burst(self.engine.burst_count)
                await anyio.lowlevel.checkpoint()
                self._reschedule = True
                continue
            period = 1.0 / hz
            now = self._clock()
            if self._reschedule:
                deadline, self._reschedule = now, False
            if now < deadline:
                await self._sleep_or_wake(deadline - now)
                if self._reschedule or self._state is not BurstLoopState.RUNNING:
                    continue
            self._starts.append((self._clock(), self.engine.burst_count))
            await self._bursts(1)
            if self._on_burst is not None:
                await self._on_burst(self.engine.burst_count)
            deadline += period
            if self._clock() - deadline > period:
                self._overruns += 1
                self._reschedule = True

    async def _sleep_or_wake(self, seconds: float) -> None:
        wake = self._wake
        async with anyio.create_task_group() as tg:

            async def _sleeper() -> None:
                await self._sleep(seconds)
                tg.cancel_scope.cancel()

            tg.start_soon(_sleeper)
            await wake.wait()
            tg.cancel_scope.cancel()

    # --- statistics -----------------------------------------------------------------------

    def statistics(self) -> BurstLoopStatistics:
        starts = list(self._starts)
        achieved = jitter = 0.0
        if len(starts) >= 2:
            span = starts[-1][0] - starts[0][0]
            bursts = starts[-1][1] - starts[0][1]
            achieved = bursts / span if span > 0 else 0.0
            if self._hz is not None:
                gaps = [b[0] - a[0] for a, b in itertools.pairwise(starts)]
                mean = sum(gaps) / len(gaps)
                jitter = math.sqrt(sum((g - mean) ** 2 for g in gaps) / len(gaps))
        return BurstLoopStatistics(
            state=self._state,
            burst_count=self.engine.burst_count,
            target_hz=self._hz,
            achieved_hz=achieved,
            jitter_s=jitter,
            overruns=self._overruns,
            last_call_s=self._last_call,
        )
