"""A shared tick scheduler: every running brain of one frequency bursts in one worker call.

10,000 small brains at 10 Hz must not cost 100,000 thread hops a second. Brains are grouped
by frequency; each group has one task that, once per period, bursts every due brain of the
group in a single worker-thread call:

* tiny brains (at most ``batch_size`` neurons + synapses) sit in cohorts of up to
  ``cohort_size`` brains packed in a :class:`~brains.npu.BrainBatch`: one kernel call bursts a
  whole cohort. While a brain is batched its live state is in the batch; reading it
  (:meth:`TickScheduler.refresh`) copies it to the brain's own engine, touching it
  (:meth:`TickScheduler.exclusive`) checks it out, and the cohort is rebuilt (state moved
  with ``snapshot_brain``/``restore_brain``) at its next tick.
* other brains are stepped by a tight loop over their engines (one kernel call each, no
  thread hop, no event-loop turn between brains).

Brains larger than ``solo_size`` get a group of their own, so a big brain never delays the
ticks of thousands of small ones.

Bursts and mutations of one brain never overlap: :meth:`TickScheduler.exclusive` waits for
the tick that is stepping the brain (if any) and keeps it out of later ticks until the
mutation is over.

Pacing keeps a fixed schedule (tick k at ``t0 + k / hz``); a tick that overruns by more
than a period restarts the schedule from now (counted in ``overruns``) instead of bursting
back to back.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio.to_thread
import structlog

from actors import Clock, SystemClock
from brains.brain import Brain
from brains.connectome import to_network_spec
from brains.npu import NetworkSpec

if TYPE_CHECKING:
    from brains.npu import BrainBatch

__all__ = ["BurstReport", "SchedulerStatistics", "TickMember", "TickScheduler", "burst_report"]

_log = structlog.get_logger("brains.hosting")

RunSync = Callable[..., Awaitable[Any]]
BurstReport = dict[str, Any]
"""``{"burst": n, "fired": {area: count}, "motor": {area: [[x, y, z, activity], ...]}}``."""


def burst_report(brain: Brain) -> BurstReport:
    """What a ``burst`` event carries about the last burst of ``brain`` (call between bursts)."""
    return {
        "burst": brain.burst_count,
        "fired": brain.fired_by_area(),
        "motor": {area.cortical_id: area.voxels for area in brain.motor()},
    }


class TickMember:
    """One brain's place in the scheduler (made by :meth:`TickScheduler.member`)."""

    __slots__ = (
        "_base",
        "_batch",
        "_batch_owner",
        "_busy",
        "_cohort",
        "_group",
        "_report",
        "_slot",
        "_spec",
        "_spec_engine",
        "_stamp",
        "brain",
        "hz",
        "key",
        "last_report",
        "on_failure",
        "on_report",
        "solo",
    )

    def __init__(
        self,
        key: str,
        brain: Brain,
        on_report: Callable[[BurstReport], None],
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self.key = key
        self.brain = brain
        self.on_report = on_report
        self.on_failure = on_failure
        self.hz = 0.0
        self.solo = False
        self.last_report = -math.inf
        self._group: _Group | None = None
        self._busy = 0
        self._stamp = -1
        self._report = False
        # Batched: the cohort it is assigned to, and the batch (and slot) holding its state.
        self._cohort: _Cohort | None = None
        self._batch: BrainBatch | None = None
        self._batch_owner: _Group | None = None
        self._slot = -1
        self._base = 0  # brain burst count when its state went into the batch
        self._spec: NetworkSpec | None = None
        self._spec_engine: object = None

    @property
    def scheduled(self) -> bool:
        """True while the brain is in a group (bursting)."""
        return self._group is not None


class _Cohort:
    """Up to ``cohort_size`` tiny brains of a group sharing one :class:`BrainBatch`."""

    __slots__ = ("assigned", "batch", "dirty", "slots")

    def __init__(self) -> None:
        self.assigned: dict[str, TickMember] = {}
        self.batch: BrainBatch | None = None
        self.slots: list[TickMember] = []
        self.dirty = False


class _Group:
    __slots__ = (
        "cohorts",
        "done",
        "hz",
        "key",
        "looped",
        "members",
        "overruns",
        "starts",
        "task",
        "tick_no",
        "ticking",
        "wake",
    )

    def __init__(self, key: tuple[float, str | None], hz: float) -> None:
        self.key = key
        self.hz = hz
        self.members: dict[str, TickMember] = {}
        self.task: asyncio.Task[None] | None = None
        self.ticking = False
        self.tick_no = 0
        self.done = asyncio.Event()
        self.starts: deque[float] = deque(maxlen=64)
        self.overruns = 0
        self.wake = asyncio.Event()
        self.cohorts: list[_Cohort] = []
        self.looped: dict[str, TickMember] = {}  # members not in a cohort

    def achieved_hz(self) -> float:
        starts = self.starts
        if len(starts) < 2 or starts[-1] <= starts[0]:
            return 0.0
        return (len(starts) - 1) / (starts[-1] - starts[0])


@dataclass(frozen=True, slots=True)
class SchedulerStatistics:
    groups: int
    members: int
    ticks: int
    overruns: int
    failures: int
    last_tick_s: float
    batched: int  # brains whose state is packed in a cohort's batch
    repacks_pending: int  # cohorts waiting to be (re)packed


class TickScheduler:
    """Groups running brains by frequency and bursts each group once per period."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        run_sync: RunSync = anyio.to_thread.run_sync,
        report_hz: float = 30.0,
        wants_report: Callable[[str], bool] = lambda key: True,
        any_listeners: Callable[[], bool] = lambda: True,
        solo_size: int = 200_000,
        batch_size: int = 1_000,
        cohort_size: int = 64,
        repack_share: float = 0.5,
    ) -> None:
        """``wants_report(key)`` says whether anyone listens to a brain's bursts (reports are
        built only then, at most ``report_hz`` per second per brain); ``any_listeners()``
        lets a tick skip asking brain by brain when nobody listens to anything."""
        if not (math.isfinite(report_hz) and report_hz > 0):
            raise ValueError(f"report_hz must be a positive number, got {report_hz}")
        self._clock = clock or SystemClock()
        self._run_sync = run_sync
        self._report_period = 1.0 / report_hz
        self._wants_report = wants_report
        self._any_listeners = any_listeners
        self.solo_size = solo_size
        self.batch_size = batch_size
        if cohort_size < 1:
            raise ValueError(f"cohort_size must be >= 1, got {cohort_size}")
        self.cohort_size = cohort_size
        #: Share of a tick period spent repacking cohorts (at least one cohort per tick).
        self.repack_share = repack_share
        self._groups: dict[tuple[float, str | None], _Group] = {}
        self._ticks = 0
        self._failures = 0
        self._last_tick_s = 0.0
        self._closed = False

    # --- membership -----------------------------------------------------------------------

    def member(
        self,
        key: str,
        brain: Brain,
        *,
        on_report: Callable[[BurstReport], None],
        on_failure: Callable[[BaseException], None],
    ) -> TickMember:
        """A handle for one brain; it bursts once :meth:`join` puts it in a group."""
        return TickMember(key, brain, on_report, on_failure)

    def join(self, member: TickMember, hz: float) -> None:
        """Burst ``member`` at ``hz`` from the next tick of its group (moves it if needed)."""
        if self._closed:
            raise RuntimeError("the tick scheduler is closed")
        if not (math.isfinite(hz) and hz > 0):
            raise ValueError(f"frequency must be a positive number of Hz, got {hz}")
        self.leave(member)
        stats = member.brain.stats()
        size = stats.neuron_count + stats.synapse_count
        member.solo = size > self.solo_size
        key = (float(hz), member.key if member.solo else None)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(key, float(hz))
            group.task = asyncio.get_running_loop().create_task(
                self._run(group), name=f"ticks {hz} Hz" + (f" {member.key}" if member.solo else "")
            )
        group.members[member.key] = member
        member.hz = float(hz)
        member._group = group
        if size <= self.batch_size:
            cohort = next(
                (c for c in group.cohorts if len(c.assigned) < self.cohort_size), None
            )
            if cohort is None:
                cohort = _Cohort()
                group.cohorts.append(cohort)
            cohort.assigned[member.key] = member
            cohort.dirty = True
            member._cohort = cohort
        else:
            group.looped[member.key] = member

    def leave(self, member: TickMember) -> None:
        """Stop bursting ``member`` (a tick already stepping it finishes first: see
        :meth:`exclusive`)."""
        group = member._group
        if group is None:
            return
        member._group = None
        if group.members.get(member.key) is member:
            del group.members[member.key]
        if group.looped.get(member.key) is member:
            del group.looped[member.key]
        cohort = member._cohort
        if cohort is not None:
            member._cohort = None
            if cohort.assigned.get(member.key) is member:
                del cohort.assigned[member.key]
            cohort.dirty = True
            if not cohort.assigned and not cohort.slots:
                group.cohorts.remove(cohort)
        if not group.members:
            group.wake.set()

    def achieved_hz(self, member: TickMember) -> float:
        """Bursts per second of the member's group over its last 64 ticks (0 if not running)."""
        group = member._group
        return 0.0 if group is None else group.achieved_hz()

    @asynccontextmanager
    async def exclusive(self, member: TickMember) -> AsyncIterator[None]:
        """Hold ``member`` out of ticks while the body mutates or reads its brain."""
        member._busy += 1
        if member._cohort is not None:
            member._cohort.dirty = True
        try:
            group = member._group
            while group is not None and group.ticking and member._stamp == group.tick_no:
                await group.done.wait()
            await self._checkout(member)
            yield
        finally:
            member._busy -= 1
            if member._cohort is not None:
                member._cohort.dirty = True

    def burst_count(self, member: TickMember) -> int:
        """The brain's burst counter, current even while its state lives in a batch."""
        batch = member._batch
        if batch is None:
            return member.brain.burst_count
        return member._base + batch.burst_count

    async def refresh(self, member: TickMember) -> None:
        """Bring the brain's own engine up to date with its batched state (for reading).

        Cheap for the tiny brains that are batched; a no-op for the others."""
        while member._batch is not None:
            owner = member._batch_owner
            if owner is not None and owner.ticking:
                await owner.done.wait()
                continue
            member.brain.engine.restore(member._batch.snapshot_brain(member._slot))
            return

    async def _checkout(self, member: TickMember) -> None:
        """Move the brain's state out of its batch into its engine (between ticks)."""
        while member._batch is not None:
            owner = member._batch_owner
            if owner is not None and owner.ticking:
                await owner.done.wait()
                continue
            member.brain.engine.restore(member._batch.snapshot_brain(member._slot))
            member._batch = None
            member._slot = -1
            if member._cohort is not None:
                member._cohort.dirty = True

    def statistics(self) -> SchedulerStatistics:
        return SchedulerStatistics(
            groups=len(self._groups),
            members=sum(len(g.members) for g in self._groups.values()),
            ticks=self._ticks,
            overruns=sum(g.overruns for g in self._groups.values()),
            failures=self._failures,
            last_tick_s=self._last_tick_s,
            batched=sum(
                len(c.slots) for g in self._groups.values() for c in g.cohorts if c.batch
            ),
            repacks_pending=sum(
                c.dirty or len(c.slots) != len(c.assigned) or (c.batch is None and bool(c.assigned))
                for g in self._groups.values()
                for c in g.cohorts
            ),
        )

    async def aclose(self) -> None:
        """Stop every group after its current tick."""
        self._closed = True
        tasks = [g.task for g in self._groups.values() if g.task is not None]
        for group in self._groups.values():
            group.members.clear()
            group.wake.set()
        if tasks:
            await asyncio.wait(tasks)
        self._groups.clear()

    # --- the ticks ------------------------------------------------------------------------

    async def _run(self, group: _Group) -> None:
        clock = self._clock
        period = 1.0 / group.hz
        deadline = clock.monotonic()
        try:
            while group.members:
                now = clock.monotonic()
                if now < deadline:
                    await self._sleep(group, deadline - now)
                    if not group.members:
                        break
                await self._tick(group)
                deadline += period
                if clock.monotonic() - deadline > period:
                    group.overruns += 1
                    deadline = clock.monotonic()
        finally:
            if self._groups.get(group.key) is group:
                del self._groups[group.key]
            # A member joining the same frequency later gets a fresh group and task.
            for member in group.members.values():
                if member._group is group:
                    member._group = None

    async def _sleep(self, group: _Group, seconds: float) -> None:
        group.wake.clear()
        sleeper = asyncio.ensure_future(self._clock.sleep(seconds))
        waker = asyncio.ensure_future(group.wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def _tick(self, group: _Group) -> None:
        now = self._clock.monotonic()
        group.tick_no += 1
        stamp = group.tick_no
        # Per-brain work here is O(brains) only for reports (when anyone listens) and for
        # the looped brains; an unchanged cohort costs nothing until its kernel call.
        if self._any_listeners():
            period = self._report_period
            wants = self._wants_report
            for member in group.members.values():
                member._report = False
                if not member._busy and now - member.last_report >= period and wants(member.key):
                    member.last_report = now
                    member._report = True
        else:
            for member in group.members.values():
                member._report = False
        looped: list[TickMember] = []
        for member in group.looped.values():
            if not member._busy:
                member._stamp = stamp
                looped.append(member)
        work: list[_CohortWork] = []
        for cohort in group.cohorts:
            if not cohort.dirty:
                if cohort.batch is not None:
                    work.append((cohort, cohort.slots, False))
                continue
            cohort.dirty = False
            due = [m for m in cohort.assigned.values() if not m._busy]
            for m in due:
                m._stamp = stamp  # not in this batch yet: `exclusive` waits by the stamp
            for m in due:  # state still in another group's batch: bring it home first
                if m._batch is not None and m._batch is not cohort.batch:
                    await self._checkout(m)
            if due or cohort.batch is not None:
                work.append((cohort, due, True))
        for m in looped:
            if m._batch is not None:
                await self._checkout(m)
        # The checkouts above may have awaited: drop brains that left or became busy since
        # (nothing awaits from here until the tick is marked as running).
        looped = [m for m in looped if m._group is group and not m._busy]
        for index, (cohort, due, rebuild) in enumerate(work):
            if rebuild:
                work[index] = (cohort, [m for m in due if m._cohort is cohort and not m._busy],
                               True)
        if not looped and not any(due for _, due, _ in work) and not any(
            c.batch is not None for c, _, _ in work
        ):
            return
        group.starts.append(now)
        group.ticking = True
        group.done.clear()
        try:
            failures, reports, spent = await self._run_sync(
                _tick_work, group, looped, work, self.repack_share
            )
        finally:
            group.ticking = False
            group.done.set()
        group.cohorts = [c for c in group.cohorts if c.assigned or c.slots]
        self._ticks += 1
        self._last_tick_s = spent
        for member, error in failures:
            self._failures += 1
            self.leave(member)
            try:
                member.on_failure(error)
            except Exception as exc:  # one brain's handler must not stop the group
                _log.error("brain.failure_handler_failed", brain=member.key, exc_info=exc)
        for member, report in reports:
            if member._group is not None:
                try:
                    member.on_report(report)
                except Exception as exc:
                    _log.error("brain.report_handler_failed", brain=member.key, exc_info=exc)


_CohortWork = tuple[_Cohort, list[TickMember], bool]
_Failures = list[tuple[TickMember, BaseException]]
_Reports = list[tuple[TickMember, BurstReport]]


def _tick_work(
    group: _Group, looped: list[TickMember], work: list[_CohortWork], repack_share: float
) -> tuple[_Failures, _Reports, float]:
    """One burst of every due brain of a group (worker thread); failures stay per brain."""
    started = time.perf_counter()
    failures: _Failures = []
    reports: _Reports = []
    for member in looped:
        try:
            member.brain.step(1)
            if member._report:
                reports.append((member, burst_report(member.brain)))
        except Exception as exc:
            failures.append((member, exc))
    # Repacking a cohort costs about a millisecond per brain: past the budget the remaining
    # repacks wait for the next ticks, so a wave of joins (say 10,000 brains started at
    # once) delays those brains' first bursts instead of stalling every brain of the group.
    budget_end = started + repack_share / group.hz
    repacked = 0
    for cohort, due, rebuild in work:
        if rebuild:
            if not repacked or time.perf_counter() < budget_end:
                _rebuild(group, cohort, due, failures)
                repacked += 1
            else:
                cohort.dirty = True
                if not _still_packed(cohort):
                    continue  # its old batch holds brains that left: do not burst them
        batch = cohort.batch
        if batch is None:
            continue
        try:
            batch.step()
        except Exception as exc:
            _log.error("brain.batch_failed", brains=len(cohort.slots), exc_info=exc)
            _unbatch_and_step(cohort, failures, reports)
            continue
        for slot, member in enumerate(cohort.slots):
            if member._report and member._batch is batch:
                try:
                    reports.append((member, _batched_report(member, batch, slot)))
                except Exception as exc:
                    failures.append((member, exc))
    return failures, reports, time.perf_counter() - started


def _still_packed(cohort: _Cohort) -> bool:
    """True if every brain of the cohort's batch is still assigned to it and free."""
    batch = cohort.batch
    return batch is not None and all(
        m._cohort is cohort and not m._busy and m._batch is batch for m in cohort.slots
    )


def _rebuild(group: _Group, cohort: _Cohort, due: list[TickMember], failures: _Failures) -> None:
    """Write the old batch's brains back to their engines, pack ``due`` into a new batch."""
    old = cohort.batch
    if old is not None:
        for slot, member in enumerate(cohort.slots):
            if member._batch is old and member._slot == slot:
                member.brain.engine.restore(old.snapshot_brain(slot))
                member._batch = None
                member._slot = -1
    cohort.batch = None
    cohort.slots = []
    packed: list[TickMember] = []
    for member in due:
        try:
            engine = member.brain.engine
            if member._spec is None or member._spec_engine is not engine:
                member._spec = to_network_spec(member.brain.connectome)
                member._spec_engine = engine
            packed.append(member)
        except Exception as exc:
            failures.append((member, exc))
    if not packed:
        return
    # Imported here, in the worker thread: it loads numba, which a host must not pay for
    # on its event loop (see ``brains.warmup``).
    from brains.npu import BrainBatch

    batch = BrainBatch(
        [m._spec for m in packed if m._spec is not None], seeds=[m.brain.seed for m in packed]
    )
    for slot, member in enumerate(packed):
        batch.restore_brain(slot, member.brain.engine.snapshot())
        member._batch = batch
        member._slot = slot
        member._batch_owner = group
        member._base = member.brain.burst_count
    cohort.batch = batch
    cohort.slots = packed


def _unbatch_and_step(cohort: _Cohort, failures: _Failures, reports: _Reports) -> None:
    """A batch failed: give each brain its state back and burst it alone, so that only the
    brain at fault fails."""
    batch = cohort.batch
    assert batch is not None
    for slot, member in enumerate(cohort.slots):
        try:
            if member._batch is batch:
                member.brain.engine.restore(batch.snapshot_brain(slot))
                member._batch = None
                member._slot = -1
            member.brain.step(1)
            if member._report:
                reports.append((member, burst_report(member.brain)))
        except Exception as exc:
            failures.append((member, exc))
    cohort.batch = None
    cohort.slots = []
    cohort.dirty = True


def _batched_report(member: TickMember, batch: BrainBatch, slot: int) -> BurstReport:
    ids = member.brain.engine.cortical_ids
    fired = batch.fired_by_area(slot)
    return {
        "burst": member._base + batch.burst_count,
        "fired": {ids[i]: int(count) for i, count in enumerate(fired) if count},
        "motor": {
            frame.cortical_id: [
                [float(x), float(y), float(z), float(a)]
                for (x, y, z), a in zip(frame.xyz.tolist(), frame.activity.tolist(), strict=True)
            ]
            for frame in batch.motor_output(slot).values()
        },
    }
