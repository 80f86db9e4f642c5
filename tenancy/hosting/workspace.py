"""``WorkspaceActor`` (one per workspace) and ``TenantManager`` (their supervisor).

The workspace actor serializes what concerns the workspace as a whole: creating and deleting
brains and every edit that may change a brain's size (so neuron and synapse quota checks
cannot race), the default brain, and the restart policy of its brains: a crashed brain is
restarted from its last snapshot after a back-off, unless it crashed more than
``restart_max`` times within ``restart_within_s`` seconds; then it is left stopped and an
``error`` event says so. Brains themselves are virtual actors in the actor system's registry
(activated on use, passivated when idle), not children here: a brain's crash never restarts
its siblings.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

import anyio.to_thread

from actors import Actor, ActorRef, ChildSpec, Restart, Supervisor, SupervisorSpec
from brains.brain import Brain
from brains.connectome import DEFAULT_LIMITS, ConnectomeError, LimitExceededError
from brains.genome import Genome, GenomeBaseError, genome_to_dict
from brains.hosting import SizeBudget, SizeBudgetExceeded
from tenancy.errors import TenancyError
from tenancy.hosting.errors import InvalidCommand, QuotaExceeded
from tenancy.hosting.quotas import Quotas
from tenancy.store import BrainRecord, StoreError

if TYPE_CHECKING:
    from tenancy.hosting.host import BrainHost

__all__ = ["TenantManager", "WorkspaceActor"]


@dataclass(frozen=True, slots=True)
class CreateBrain:
    name: str
    genome: Genome
    frequency_hz: float | None
    only_if_empty: bool = False


@dataclass(frozen=True, slots=True)
class DeleteBrain:
    brain_id: str


@dataclass(frozen=True, slots=True)
class BrainCrashed:
    brain_id: str
    error: BaseException


@dataclass(frozen=True, slots=True)
class Usage:
    """Answers ``(brains, neurons, synapses)``."""


@dataclass(frozen=True, slots=True)
class ResizeBrain:
    """Run an edit that may change a brain's size: ``run(budget)`` gets the neurons and
    synapses the workspace's quotas leave the brain. Answers an `Outcome`."""

    brain_id: str
    run: Callable[[SizeBudget], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a `ResizeBrain` came to. The brain's errors travel as a value, so that no error
    of a brain (or of the function it ran) can crash its workspace's actor."""

    value: Any = None
    error: Exception | None = None

    def unwrap(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


class WorkspaceActor(Actor):
    """The brains of one workspace as a whole; see the module docstring."""

    reply_errors: ClassVar[tuple[type[Exception], ...]] = (
        TenancyError,
        StoreError,
        GenomeBaseError,
        ConnectomeError,
        ValueError,
    )

    def __init__(self, workspace_id: str, host: BrainHost) -> None:
        self.workspace_id = workspace_id
        self._host = host
        self._crashes: dict[str, deque[float]] = {}

    async def started(self) -> None:
        records = await self._repo().list()
        self._host._usage[self.workspace_id] = {
            r.id: (r.neuron_count, r.synapse_count) for r in records
        }

    def _repo(self) -> Any:
        return self._host.store.workspace(self.workspace_id).brains

    async def handle(self, message: Any) -> Any:
        if isinstance(message, CreateBrain):
            return await self._create(message)
        if isinstance(message, ResizeBrain):
            return await self._resize(message)
        if isinstance(message, DeleteBrain):
            return await self._delete(message.brain_id)
        if isinstance(message, BrainCrashed):
            return self._crashed(message.brain_id, message.error)
        if isinstance(message, Usage):
            usage = self._usage()
            return (
                len(usage),
                sum(n for n, _ in usage.values()),
                sum(s for _, s in usage.values()),
            )
        raise InvalidCommand(f"workspace actor cannot handle {type(message).__name__}")

    def _usage(self) -> dict[str, tuple[int, int]]:
        return self._host._usage.setdefault(self.workspace_id, {})

    async def _create(self, message: CreateBrain) -> BrainRecord | None:
        host = self._host
        ws = self.workspace_id
        usage = self._usage()
        if message.only_if_empty and usage:
            return None
        quotas = host.quotas
        quotas.check_brain_count(ws, len(usage))
        if message.frequency_hz is not None:
            quotas.check_frequency(ws, message.frequency_hz)
        used_n = sum(n for n, _ in usage.values())
        used_s = sum(s for _, s in usage.values())
        limits = quotas.limits(ws)
        budget = SizeBudget(limits.max_neurons - used_n, limits.max_synapses - used_s)
        seed = secrets.randbits(31)
        # Developed within what the quotas leave, so a genome too big for them stops
        # before it is grown; the cap is for this development only (the brain's later
        # edits get the room of their day, see `_resize`).
        try:
            brain = await anyio.to_thread.run_sync(lambda: budget.enforce(
                lambda cap: Brain.develop(message.genome, seed=seed, cap=cap),
                technical=DEFAULT_LIMITS, before=None,
            ))
        except SizeBudgetExceeded as exc:
            raise _refusal(exc, limits, used_n, used_s, new=True) from None
        except LimitExceededError as exc:
            raise InvalidCommand(str(exc)) from None
        stats = brain.stats()
        document = await anyio.to_thread.run_sync(lambda: genome_to_dict(message.genome))
        now = datetime.now(UTC)
        record = BrainRecord(
            id=f"br_{secrets.token_urlsafe(12)}",
            name=message.name,
            genome=document,
            created_at=now,
            updated_at=now,
            frequency_hz=message.frequency_hz,
            seed=seed,
            cortical_area_count=stats.cortical_area_count,
            neuron_count=stats.neuron_count,
            synapse_count=stats.synapse_count,
        )
        store = host.store
        await store.brain_directory.add(record.id, ws)
        try:
            await self._repo().create(record)
        except BaseException:
            await store.brain_directory.remove(record.id)
            raise
        usage[record.id] = (stats.neuron_count, stats.synapse_count)
        host._adopt(ws, record.id, brain)
        return record

    async def _delete(self, brain_id: str) -> bool:
        store = self._host.store
        existed: bool = await self._repo().delete(brain_id)
        await store.feagi_keys.delete_for_brain(self.workspace_id, brain_id)
        await store.brain_directory.remove(brain_id)
        self._usage().pop(brain_id, None)
        self._crashes.pop(brain_id, None)
        return existed

    async def _resize(self, message: ResizeBrain) -> Outcome:
        limits = self._host.quotas.limits(self.workspace_id)
        others = [size for brain_id, size in self._usage().items() if brain_id != message.brain_id]
        others_n = sum(n for n, _ in others)
        others_s = sum(s for _, s in others)
        budget = SizeBudget(limits.max_neurons - others_n, limits.max_synapses - others_s)
        try:
            return Outcome(value=await message.run(budget))
        except SizeBudgetExceeded as exc:
            return Outcome(error=_refusal(exc, limits, others_n, others_s, new=False))
        except Exception as exc:
            return Outcome(error=exc)

    def _crashed(self, brain_id: str, error: BaseException) -> None:
        host = self._host
        config = host.config
        now = host.clock.monotonic()
        window = self._crashes.setdefault(brain_id, deque())
        while window and window[0] <= now - config.restart_within_s:
            window.popleft()
        window.append(now)
        if len(window) > config.restart_max:
            self._crashes.pop(brain_id, None)
            host._give_up(self.workspace_id, brain_id, error, len(window))
            return
        delay = min(config.restart_backoff_max_s, config.restart_backoff_s * 2 ** (len(window) - 1))
        host._restart_later(self.workspace_id, brain_id, error, delay)


def _refusal(exc: SizeBudgetExceeded, limits: Quotas, others_n: int, others_s: int, *,
             new: bool) -> QuotaExceeded:
    """The quota a development stopped at, named with what it would have come to.

    ``others_*``: what the workspace's other brains use; ``new``: a brain being created
    (else an edit of one)."""
    quota, limit, others = (
        ("max_neurons", limits.max_neurons, others_n) if exc.resource == "neurons"
        else ("max_synapses", limits.max_synapses, others_s)
    )
    resource = exc.resource
    what = "the new brain" if new else "the edit"
    if exc.count is not None:
        own = (f"{exc.count:,} of them its own" if new
               else f"this brain from {exc.before:,} to {exc.count:,}")
        reach = (f"{what} would bring the workspace's brains to {others + exc.count:,} "
                 f"{resource} ({own})")
    else:
        # Development stopped at the first part that did not fit: the total is unknown.
        reach = (f"{what} needs more than the {exc.allowed:,} {resource} this brain may have "
                 f"(it has {exc.before:,}; the workspace's other brains use {others:,})")
    return QuotaExceeded(
        quota, limit,
        f"{reach}; nothing was changed: make it smaller, or free {resource} in other brains",
    )


class TenantManager:
    """The ``tenants`` supervisor under the system root, one workspace actor per workspace,
    started on first use (one_for_one: a workspace actor's crash restarts only it)."""

    NAME = "tenants"

    def __init__(self, supervisor: Supervisor, factory: Callable[[str], Actor]) -> None:
        self.supervisor = supervisor
        self._factory = factory
        self._starting: dict[str, asyncio.Future[ActorRef]] = {}

    @classmethod
    async def start(
        cls, root: Supervisor, factory: Callable[[str], Actor], *, max_restarts: int = 10,
        within: float = 60.0,
    ) -> TenantManager:
        supervisor = await root.add_supervisor(
            SupervisorSpec(cls.NAME, max_restarts=max_restarts, within=within)
        )
        return cls(supervisor, factory)

    async def workspace(self, workspace_id: str) -> ActorRef:
        """The workspace's actor, started if needed (concurrent callers share one start)."""
        try:
            found = self.supervisor.child(workspace_id)
        except Exception:
            found = None
        if isinstance(found, ActorRef):
            return found
        pending = self._starting.get(workspace_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ActorRef] = asyncio.get_running_loop().create_future()
        self._starting[workspace_id] = future
        try:
            ref = await self.supervisor.add_child(
                ChildSpec(
                    workspace_id,
                    lambda: self._factory(workspace_id),
                    restart=Restart.PERMANENT,
                )
            )
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning without waiters
            raise
        finally:
            self._starting.pop(workspace_id, None)
        future.set_result(ref)
        return ref

    def workspaces(self) -> list[str]:
        return [child.name for child in self.supervisor.children()]

    async def aclose(self) -> None:
        await self.supervisor.shutdown()
