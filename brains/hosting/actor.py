"""``BrainActor``: one brain, its place in the tick scheduler, its events and persistence.

The actor's mailbox serializes commands; :meth:`TickScheduler.exclusive` keeps bursts out
while a command touches the brain, so a brain never sees two mutations at once. CPU work
that can take more than about a millisecond runs on a worker thread.

Lifecycle: ``started()`` loads the brain (latest snapshot, else the genome) and resumes the
persisted run state; ``stopping()`` (passivation, shutdown) persists a snapshot when anything
changed. An unexpected exception in a command or in the brain's burst crashes the actor:
it leaves the scheduler, reports the crash through ``on_crash`` (the host restarts it from
the last snapshot) and does not persist its untrusted state.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

import anyio.to_thread
import structlog

from actors import Actor, EventHub
from brains.brain import Brain, BrainStats
from brains.connectome import (
    DEFAULT_LIMITS,
    ConnectomeError,
    DevelopmentLimits,
    LimitExceededError,
)
from brains.genome import Genome, GenomeBaseError, genome_to_dict, load_genome
from brains.hosting.ports import BrainStatePort, RunState, SavedBrain
from brains.hosting.scheduler import BurstReport, TickMember, TickScheduler, burst_report
from brains.npu import NpuError

__all__ = [
    "BrainActor",
    "BrainCommandError",
    "BrainStatus",
    "Call",
    "Checkpoint",
    "Control",
    "Forget",
    "Rename",
    "ReplaceGenome",
    "SetFrequency",
    "SizeBudget",
    "SizeBudgetExceeded",
    "Status",
    "Step",
]

_log = structlog.get_logger("brains.hosting")

T = TypeVar("T")

# Work below this many neuron+synapse-bursts runs inline: a thread hop costs more.
_INLINE_WORK = 20_000


class BrainCommandError(ValueError):
    """A command that does not fit the brain's current state (the actor keeps running)."""


class SizeBudgetExceeded(BrainCommandError):  # noqa: N818 - reads as the budget's verdict
    """Development stopped at a brain's `SizeBudget`; the brain was left as it was.

    ``resource`` is ``"neurons"`` or ``"synapses"``; ``allowed`` the most the brain could
    have had (the budget, or its size ``before`` when that is larger); ``count`` what it
    would have had, when development knew it before stopping (neurons are counted before
    they are grown; synapses are not, so for them it is None: "more than ``allowed``").
    """

    def __init__(self, resource: Literal["neurons", "synapses"], count: int | None,
                 before: int, allowed: int) -> None:
        wanted = f"{count:,}" if count is not None else f"more than {allowed:,}"
        super().__init__(
            f"the edit would give the brain {wanted} {resource} (it has {before:,}); "
            f"at most {allowed:,} are allowed"
        )
        self.resource = resource
        self.count = count
        self.before = before
        self.allowed = allowed


@dataclass(frozen=True, slots=True)
class SizeBudget:
    """The most neurons and synapses an edit may leave the brain with.

    Enforced while developing, not after: growth stops at the budget, so a refused edit
    never allocates more than the budget allows. An edit that does not grow a count past
    the brain's size is always allowed, even above the budget (a quota lowered under a
    brain's size must not forbid shrinking it or replacing it by a smaller one).
    """

    neurons: int
    synapses: int

    def limits(self, technical: DevelopmentLimits, before: BrainStats | None) -> DevelopmentLimits:
        """``technical`` lowered to the budget, or to the brain's size ``before`` the edit
        when that is larger (None: a brain not developed yet)."""
        neurons, synapses = (0, 0) if before is None else (before.neuron_count,
                                                           before.synapse_count)
        return technical.lowered_to(DevelopmentLimits(
            max_areas=technical.max_areas,
            max_neurons=max(self.neurons, neurons),
            max_synapses=max(self.synapses, synapses),
        ))

    def enforce(self, develop: Callable[[DevelopmentLimits], T], *,
                technical: DevelopmentLimits, before: BrainStats | None) -> T:
        """``develop(cap)`` with the cap of :meth:`limits`. When development stops at a
        limit the budget lowered, `SizeBudgetExceeded`; at a technical one, the connectome's
        `LimitExceededError` as it was."""
        cap = self.limits(technical, before)
        try:
            return develop(cap)
        except LimitExceededError as exc:
            resource = exc.resource
            if resource == "neurons" and cap.max_neurons < technical.max_neurons:
                raise SizeBudgetExceeded(
                    "neurons", exc.count, 0 if before is None else before.neuron_count,
                    cap.max_neurons,
                ) from None
            if resource == "synapses" and cap.max_synapses < technical.max_synapses:
                raise SizeBudgetExceeded(
                    "synapses", None, 0 if before is None else before.synapse_count,
                    cap.max_synapses,
                ) from None
            raise


@dataclass(frozen=True, slots=True)
class Control:
    action: Literal["start", "stop", "pause", "resume"]


@dataclass(frozen=True, slots=True)
class Step:
    n: int


@dataclass(frozen=True, slots=True)
class SetFrequency:
    hz: float


@dataclass(frozen=True, slots=True)
class ReplaceGenome:
    """Re-develop from ``genome``; development stops at ``budget`` when given
    (`SizeBudgetExceeded`, brain unchanged)."""

    genome: Genome
    budget: SizeBudget | None = None


@dataclass(frozen=True, slots=True)
class Call:
    """Run ``fn(brain)`` between bursts; ``mutates`` persists and publishes ``genome``.

    A mutating ``fn`` runs as one transaction, developing within ``budget`` when given: if
    it raises, or its development reaches the budget (`SizeBudgetExceeded`), the brain is
    put back exactly as it was.
    """

    fn: Callable[[Brain], Any]
    mutates: bool = False
    heavy: bool = True
    #: Only reads the brain: runs on an up-to-date copy without holding the brain out of
    #: its bursts (cheaper for batched brains).
    readonly: bool = False
    budget: SizeBudget | None = None


@dataclass(frozen=True, slots=True)
class Status:
    pass


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Persist a snapshot now; answers ``{"burst_count", "bytes"}``."""


@dataclass(frozen=True, slots=True)
class Rename:
    name: str


@dataclass(frozen=True, slots=True)
class Forget:
    """The brain is being deleted: do not persist it when it stops."""


@dataclass(frozen=True, slots=True)
class _BurstFailed:
    error: BaseException


class _BurstCrashError(RuntimeError):
    """A burst raised: the actor crashes with this (the burst's error as its cause)."""


@dataclass(frozen=True, slots=True)
class BrainStatus:
    stats: BrainStats
    state: RunState
    frequency_hz: float
    achieved_hz: float


class BrainActor(Actor):
    """Owns one :class:`Brain`. Answers the messages defined in this module."""

    reply_errors: ClassVar[tuple[type[Exception], ...]] = (
        BrainCommandError,
        ValueError,
        LookupError,
        ConnectomeError,
        GenomeBaseError,
        NpuError,
    )

    def __init__(
        self,
        brain_id: str,
        *,
        port: BrainStatePort,
        scheduler: TickScheduler,
        events: EventHub,
        topic: str,
        default_hz: float,
        limits: DevelopmentLimits = DEFAULT_LIMITS,
        preloaded: Brain | None = None,
        restart_cause: BaseException | None = None,
        on_crash: Callable[[str, BaseException], None] | None = None,
        on_state: Callable[[str, RunState], None] | None = None,
    ) -> None:
        self.brain_id = brain_id
        self._port = port
        self._scheduler = scheduler
        self._events = events
        self._topic = topic
        self._default_hz = default_hz
        self._limits = limits
        self._preloaded = preloaded
        self._restart_cause = restart_cause
        self._on_crash = on_crash
        self._on_state = on_state
        self._brain: Brain | None = None
        self._member: TickMember | None = None
        self._state: RunState = "stopped"
        self._hz: float | None = None
        self._dirty = False
        self._forget = False

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def brain(self) -> Brain:
        if self._brain is None:
            raise RuntimeError(f"brain {self.brain_id} is not loaded")
        return self._brain

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def frequency_hz(self) -> float:
        return self._hz if self._hz is not None else self._default_hz

    async def started(self) -> None:
        stored = await self._port.load()
        brain = self._preloaded
        self._preloaded = None
        if brain is None:
            if stored.snapshot is not None:
                brain = await anyio.to_thread.run_sync(self._restore, stored.snapshot)
            else:
                brain = await anyio.to_thread.run_sync(self._develop, stored.genome, stored.seed)
        self._brain = brain
        self._hz = stored.frequency_hz
        self._member = self._scheduler.member(
            self.brain_id, brain, on_report=self._report, on_failure=self._burst_failed
        )
        if stored.desired_state == "running":
            self._scheduler.join(self._member, self.frequency_hz)
        self._set_state(stored.desired_state, publish=False)
        if self._restart_cause is not None:
            self._publish(
                "restarted",
                {"reason": _describe(self._restart_cause), "burst": brain.burst_count,
                 "state": self._state},
            )
            self._restart_cause = None

    async def stopping(self) -> None:
        member = self._member
        if member is not None:
            self._scheduler.leave(member)
        if self._forget or self._brain is None:
            return
        if self._dirty:
            async with self._scheduler.exclusive(self._require_member()):
                await self._persist(snapshot=True)

    def _restore(self, data: bytes) -> Brain:
        return Brain.restore(data, limits=self._limits)

    def _develop(self, document: Mapping[str, Any], seed: int) -> Brain:
        return Brain.develop(load_genome(dict(document)), seed=seed, limits=self._limits)

    # --- messages -------------------------------------------------------------------------

    async def handle(self, message: Any) -> Any:
        if isinstance(message, _BurstFailed):
            self._crashed(message.error)
            raise _BurstCrashError(
                f"brain {self.brain_id} failed in a burst: {_describe(message.error)}"
            ) from message.error
        try:
            return await self._dispatch(message)
        except self.reply_errors:
            raise
        except Exception as exc:
            self._crashed(exc)
            raise

    async def _dispatch(self, message: Any) -> Any:
        if isinstance(message, Status):
            return await self._status()
        if isinstance(message, Call):
            return await self._call(message)
        if isinstance(message, Control):
            return await self._control(message.action)
        if isinstance(message, Step):
            return await self._step(message.n)
        if isinstance(message, SetFrequency):
            return await self._set_frequency(message.hz)
        if isinstance(message, ReplaceGenome):
            return await self._replace_genome(message)
        if isinstance(message, Checkpoint):
            async with self._scheduler.exclusive(self._require_member()):
                size = await self._persist(snapshot=True)
            return {"burst_count": self.brain.burst_count, "bytes": size}
        if isinstance(message, Rename):
            await self._persist(snapshot=False, name=message.name)
            return await self._status()
        if isinstance(message, Forget):
            self._forget = True
            return None
        raise BrainCommandError(f"brain actor cannot handle {type(message).__name__}")

    async def _status(self) -> BrainStatus:
        member = self._require_member()
        # Sizes do not change while bursting; the counter is read where the bursts happen.
        stats = dataclasses.replace(
            self.brain.stats(), burst_count=self._scheduler.burst_count(member)
        )
        return BrainStatus(
            stats=stats,
            state=self._state,
            frequency_hz=self.frequency_hz,
            achieved_hz=self._scheduler.achieved_hz(member),
        )

    async def _call(self, message: Call) -> Any:
        brain = self.brain
        if message.readonly and not message.mutates:
            await self._scheduler.refresh(self._require_member())
            return await self._compute(message.fn, heavy=message.heavy)
        async with self._scheduler.exclusive(self._require_member()):
            if not message.mutates:
                result = await self._compute(message.fn, heavy=message.heavy)
                self._dirty = True
                return result
            before = brain.stats()
            result = await self._compute(
                lambda b: _edit(b, message.fn, message.budget, self._limits),
                heavy=message.heavy,
            )
            self._dirty = True
            await self._persist(snapshot=True, genome=True)
            self._publish_genome(before)
        return result

    async def _control(self, action: str) -> BrainStatus:
        member = self._require_member()
        state = self._state
        if action == "start" or (action == "resume" and state == "paused"):
            if state != "running":
                self._scheduler.join(member, self.frequency_hz)
                self._dirty = True
                await self._change_state("running")
        elif action == "resume":
            raise BrainCommandError(f"brain {self.brain_id} is {state}, not paused: use start")
        elif action == "pause":
            if state == "stopped":
                raise BrainCommandError(f"brain {self.brain_id} is stopped; start it first")
            if state == "running":
                self._scheduler.leave(member)
                await self._change_state("paused")
        elif action == "stop":
            if state != "stopped":
                self._scheduler.leave(member)
                async with self._scheduler.exclusive(member):
                    self._set_state("stopped", publish=False)
                    await self._persist(snapshot=True)
                self._publish_state()
        else:
            raise BrainCommandError(f"unknown burst engine action {action!r}")
        return await self._status()

    async def _step(self, n: int) -> int:
        if n < 0:
            raise BrainCommandError(f"step count must be >= 0, got {n}")
        brain = self.brain
        async with self._scheduler.exclusive(self._require_member()):
            size = _size(brain)

            def run() -> tuple[int, BurstReport]:
                brain.step(n)
                return brain.burst_count, burst_report(brain)

            outcome: tuple[int, BurstReport] = await self._compute(
                lambda _b: run(), heavy=n * size > _INLINE_WORK
            )
            self._dirty = True
        self._publish("burst", outcome[1])
        return outcome[0]

    async def _set_frequency(self, hz: float) -> BrainStatus:
        if not (math.isfinite(hz) and hz > 0):
            raise BrainCommandError(f"frequency must be a positive number of Hz, got {hz}")
        self._hz = float(hz)
        member = self._require_member()
        if member.scheduled:
            self._scheduler.join(member, self._hz)
        await self._persist(snapshot=False)
        self._publish_state()
        return await self._status()

    async def _replace_genome(self, message: ReplaceGenome) -> BrainStats:
        brain = self.brain
        async with self._scheduler.exclusive(self._require_member()):
            before = brain.stats()
            limits = self._limits
            await anyio.to_thread.run_sync(
                lambda: _edit(
                    brain, lambda b: b.replace_genome(message.genome, limits=limits),
                    message.budget, limits,
                )
            )
            self._dirty = True
            await self._persist(snapshot=True, genome=True)
        member = self._require_member()
        if member.scheduled:  # size changed: maybe now solo, maybe not
            self._scheduler.join(member, self.frequency_hz)
        self._publish_genome(before)
        return brain.stats()

    # --- helpers --------------------------------------------------------------------------

    async def _compute(self, fn: Callable[[Brain], Any], *, heavy: bool) -> Any:
        brain = self.brain
        if not heavy or _size(brain) <= _INLINE_WORK // 4:
            return fn(brain)
        return await anyio.to_thread.run_sync(fn, brain)

    async def _persist(
        self, *, snapshot: bool, genome: bool = False, name: str | None = None
    ) -> int:
        """Save settings and counts; with ``snapshot`` the full state (worker thread)."""
        brain = self.brain
        await self._scheduler.refresh(self._require_member())
        data: bytes | None = None
        document: dict[str, Any] | None = None
        if snapshot:
            data = await anyio.to_thread.run_sync(brain.snapshot)
        if genome:
            document = await anyio.to_thread.run_sync(lambda: genome_to_dict(brain.genome))
        await self._port.save(
            SavedBrain(
                stats=brain.stats(),
                frequency_hz=self._hz,
                desired_state=self._state,
                snapshot=data,
                genome=document,
                name=name,
            )
        )
        if snapshot:
            self._dirty = self._state == "running"
        return 0 if data is None else len(data)

    async def _change_state(self, state: RunState) -> None:
        self._set_state(state, publish=False)
        await self._persist(snapshot=False)
        self._publish_state()

    def _set_state(self, state: RunState, *, publish: bool) -> None:
        self._state = state
        if self._on_state is not None:
            self._on_state(self.brain_id, state)
        if publish:
            self._publish_state()

    def _publish_state(self) -> None:
        self._publish("state", {"state": self._state, "frequency_hz": self.frequency_hz})

    def _publish_genome(self, before: BrainStats | None) -> None:
        stats = self.brain.stats()
        data: dict[str, Any] = {
            "burst": stats.burst_count,
            "cortical_area_count": stats.cortical_area_count,
            "neuron_count": stats.neuron_count,
            "synapse_count": stats.synapse_count,
        }
        if before is not None:
            data["changed"] = before != stats
        self._publish("genome", data)

    def _publish(self, event: str, data: Mapping[str, Any]) -> None:
        if not self._events.closed:
            self._events.publish(self._topic, {"event": event, "data": data})

    def _report(self, report: BurstReport) -> None:
        self._publish("burst", report)

    def _burst_failed(self, error: BaseException) -> None:
        # Through the mailbox, so the crash goes through the actor machinery like any other.
        self._publish("error", {"message": f"burst failed: {_describe(error)}"})
        try:
            self.ref.tell_nowait(_BurstFailed(error))
        except Exception as exc:
            _log.error("brain.crash_report_failed", brain=self.brain_id, exc_info=exc)

    def _crashed(self, error: BaseException) -> None:
        if self._member is not None:
            self._scheduler.leave(self._member)
        self._forget = True  # its state is not trusted: never persisted again
        if self._on_crash is not None:
            self._on_crash(self.brain_id, error)

    def _require_member(self) -> TickMember:
        if self._member is None:
            raise RuntimeError(f"brain {self.brain_id} is not started")
        return self._member


def _edit(brain: Brain, fn: Callable[[Brain], T], budget: SizeBudget | None,
          technical: DevelopmentLimits) -> T:
    """``fn(brain)`` as one transaction, developing within ``budget`` (see `Call`)."""
    with brain.transaction():
        if budget is None:
            return fn(brain)

        def capped(cap: DevelopmentLimits) -> T:
            with brain.limited(cap):
                return fn(brain)

        return budget.enforce(capped, technical=technical, before=brain.stats())


def _size(brain: Brain) -> int:
    stats = brain.stats()
    return max(1, stats.neuron_count + stats.synapse_count)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
