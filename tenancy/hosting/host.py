"""``BrainHost``: the one object REST, websockets and the FEAGI API use to reach brains.

Brains are virtual actors (kind ``"brain"`` in the actor system's registry, keyed by brain
id): activated on first use from their latest snapshot (or developed from the genome),
passivated after ``brain_idle_s`` without use (a running brain is kept alive) with a snapshot
persisted, reactivated with the same state and burst counter. Workspace-wide work goes
through the workspace's actor under the ``tenants`` supervisor (see
``tenancy.hosting.workspace``). Every call names the workspace, and a brain of another
workspace answers `BrainNotFound`, exactly like a brain that does not exist.

After ``start``, a background task activates the brains meant to be running
(`tenancy.store.RunningBrainIndex`), so a restart does not leave them passive until used.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import structlog

from actors import (
    Actor,
    ActorStoppedError,
    ActorSystem,
    AskTimeoutError,
    Clock,
    EventHub,
    MailboxFullError,
    RegistryError,
)
from brains.brain import Brain, BrainStats
from brains.connectome import ConnectomeError
from brains.genome import (
    DEFAULT_LIMITS as DEFAULT_GENOME_LIMITS,
)
from brains.genome import (
    CorticalArea,
    Genome,
    GenomeBaseError,
    GenomeLimits,
    GenomeValidationError,
    MappingRule,
    UnknownTemplateError,
    genome_to_dict,
    load_genome,
    load_template,
)
from brains.genome.collector import ErrorCollector
from brains.genome.rule_parser import RuleParser
from brains.hosting import (
    BrainActor,
    BrainCommandError,
    BrainStatus,
    Call,
    Checkpoint,
    Control,
    Forget,
    Rename,
    ReplaceGenome,
    RunState,
    SetFrequency,
    SizeBudget,
    SizeBudgetExceeded,
    Status,
    Step,
    TickScheduler,
)
from brains.npu import NpuError
from tenancy.hosting._args import (
    int_arg,
    no_args,
    number_arg,
    stats_dict,
    status_dict,
    str_arg,
    voxels_arg,
)
from tenancy.hosting.errors import BrainBusy, BrainNotFound, InvalidCommand, InvalidGenome
from tenancy.hosting.quotas import QuotaPolicy, Quotas
from tenancy.hosting.state import StoreBrainState
from tenancy.hosting.workspace import (
    BrainCrashed,
    CreateBrain,
    DeleteBrain,
    Outcome,
    ResizeBrain,
    TenantManager,
    Usage,
    WorkspaceActor,
)
from tenancy.recent_answers import RecentAnswers
from tenancy.store import BrainRecord, RunningBrain, Store, WorkspaceNotProvisioned

__all__ = ["BRAIN_KIND", "COMMANDS", "EDIT_COMMANDS", "BrainHost", "BrainInfo", "HostConfig"]

_log = structlog.get_logger("tenancy.hosting")

T = TypeVar("T")
ControlAction = Literal["start", "stop", "pause", "resume"]

BRAIN_KIND = "brain"
TEMPLATES = ("barebones", "essential")
COMMANDS = (
    "start", "stop", "pause", "resume", "step", "set_frequency", "sensory", "stimulate",
    "motor", "stats", "genome", "put_genome", "update_area", "set_mapping", "snapshot",
)
#: Commands that change what a brain is (its genome, areas, mappings): admins only, like
#: ``PUT .../genome`` on REST. Each is checked against the neuron and synapse quotas.
EDIT_COMMANDS = ("put_genome", "update_area", "set_mapping")
# What update_area may change: the genome's area properties, except the id and mappings
# (set_mapping edits those).
_AREA_PROPERTIES = frozenset(
    f.name for f in dataclasses.fields(CorticalArea)
) - {"cortical_id", "mappings"}
# Live FEAGI keys remembered at most (LRU beyond); each is a hash and two ids.
_FEAGI_KEY_CACHE_SIZE = 10_000
_BRAIN_ERRORS = (BrainCommandError, ValueError, LookupError, ConnectomeError, GenomeBaseError,
                 NpuError)
# Running-brain index entries read per store call when resuming brains after start.
_RESUME_PAGE = 500


@dataclass(frozen=True, slots=True)
class HostConfig:
    """Settings of the brain host (see ``app.settings`` for the variables)."""

    default_frequency_hz: float = 10.0
    event_hz: float = 30.0
    brain_idle_s: float = 300.0
    quotas: Quotas = field(default_factory=Quotas)
    max_step: int = 10_000
    max_voxels: int = 100_000
    ask_timeout_s: float = 120.0
    restart_max: int = 5
    restart_within_s: float = 60.0
    restart_backoff_s: float = 0.05
    restart_backoff_max_s: float = 5.0
    solo_size: int = 200_000
    batch_size: int = 1_000
    cohort_size: int = 64
    genome_limits: GenomeLimits = DEFAULT_GENOME_LIMITS
    #: Seconds a FEAGI key found live is trusted without a store read (0: always read);
    #: ``BRAINHOST_AUTH_CACHE_TTL``, like tokens and workspace seats.
    feagi_key_cache_ttl_s: float = 1.0
    #: Brains activated at once when resuming the running ones after start (each restores
    #: its snapshot on a worker thread; more than the cores only queues them there).
    resume_concurrency: int = 4


@dataclass(frozen=True, slots=True)
class BrainInfo:
    """A brain as listed: identity, run state and size."""

    id: str
    workspace_id: str
    name: str
    frequency_hz: float
    state: RunState
    stats: BrainStats
    achieved_hz: float = 0.0


class BrainHost:
    """See the module docstring. ``await start()`` once, ``await aclose()`` before the store
    closes. ``kernels_ready``, when given, is awaited before a brain is developed or activated
    (``brains.warmup.KernelWarmup.wait``: brain work waits for the kernels loading in the
    background instead of loading them itself)."""

    def __init__(
        self,
        system: ActorSystem,
        store: Store,
        config: HostConfig | None = None,
        *,
        clock: Clock | None = None,
        scheduler: TickScheduler | None = None,
        kernels_ready: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self.system = system
        self.store = store
        self.config = config or HostConfig()
        self.clock = clock or system.clock
        self.events: EventHub = system.events
        self.quotas = QuotaPolicy(self.config.quotas)
        self.scheduler = scheduler or TickScheduler(
            clock=self.clock,
            report_hz=self.config.event_hz,
            wants_report=self._has_listeners,
            any_listeners=self._has_any_listeners,
            solo_size=self.config.solo_size,
            batch_size=self.config.batch_size,
            cohort_size=self.config.cohort_size,
        )
        self._registry = system.registry
        self._tenants: TenantManager | None = None
        # Shared with the workspace actors (same loop; no locks needed).
        self._usage: dict[str, dict[str, tuple[int, int]]] = {}
        self._brain_ws: dict[str, str] = {}
        self._fresh: dict[str, Brain] = {}
        self._restart_causes: dict[str, BaseException] = {}
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keepalive: asyncio.Task[None] | None = None
        self._resuming: asyncio.Task[None] | None = None
        self._closed = False
        self._kernels_ready = kernels_ready
        if self.config.resume_concurrency < 1:
            raise ValueError(
                f"resume concurrency must be >= 1, got {self.config.resume_concurrency}"
            )
        # FEAGI key hash -> (workspace, brain) it opens; only live keys are remembered.
        self._feagi_keys: RecentAnswers[bytes, tuple[str, str]] = RecentAnswers(
            "FEAGI key", self.config.feagi_key_cache_ttl_s, maxsize=_FEAGI_KEY_CACHE_SIZE,
            clock=self.clock.monotonic,
        )

    # --- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Register the brain actor kind and start the tenants supervisor; the brains meant
        to be running are resumed in the background (after the kernels, when given)."""
        self._registry.register(
            BRAIN_KIND,
            self._activate,
            passivate=self._passivated,
            idle_timeout=self.config.brain_idle_s,
            shutdown_timeout=60.0,
        )
        self._tenants = await TenantManager.start(
            self.system.root, lambda ws: WorkspaceActor(ws, self)
        )
        loop = asyncio.get_running_loop()
        self._keepalive = loop.create_task(self._keep_running_alive(), name="brain keepalive")
        self._resuming = loop.create_task(self._resume_running(), name="brain resume")

    async def aclose(self) -> None:
        """Stop resuming brains, passivate every brain (persisting them), then stop the
        scheduler and tenants."""
        if self._closed:
            return
        self._closed = True
        background = [self._resuming, self._keepalive, *self._tasks]
        for task in background:
            if task is not None:
                task.cancel()
        pending = [t for t in background if t is not None]
        if pending:
            await asyncio.wait(pending)
        active = [key for key in list(self._brain_ws) if self._registry.is_active(BRAIN_KIND, key)]
        await asyncio.gather(
            *(self._registry.passivate(BRAIN_KIND, key) for key in active),
            return_exceptions=True,
        )
        await self.scheduler.aclose()
        if self._tenants is not None:
            with contextlib.suppress(Exception):
                await self.system.root.remove_child(TenantManager.NAME)

    async def wait_resumed(self) -> None:
        """Return once the resumption `start` began has ended (done, failed or cancelled)."""
        if self._resuming is not None:
            await asyncio.wait({self._resuming})

    # --- topics ---------------------------------------------------------------------------

    @staticmethod
    def topic(brain_id: str) -> str:
        return f"brain:{brain_id}"

    @staticmethod
    def workspace_topic(workspace_id: str) -> str:
        return f"workspace:{workspace_id}"

    async def brain_workspace(self, brain_id: str) -> str | None:
        """The workspace a brain belongs to (for topic authorization), or None."""
        known = self._brain_ws.get(brain_id)
        if known is not None:
            return known
        try:
            return await self.store.brain_directory.workspace_of(brain_id)
        except Exception:
            return None

    # --- brains ---------------------------------------------------------------------------

    async def create_brain(
        self,
        workspace_id: str,
        *,
        name: str,
        genome: Genome | None = None,
        template: str | None = None,
        frequency_hz: float | None = None,
        autostart: bool = False,
    ) -> BrainInfo:
        """Develop and store a new brain (quota-checked); ``autostart`` starts its bursts."""
        record = await self._create(
            workspace_id, CreateBrain(name, self._genome_of(genome, template), frequency_hz)
        )
        assert record is not None
        return await self._created(workspace_id, record, autostart)

    async def ensure_default_brain(self, workspace_id: str) -> BrainInfo | None:
        """Create the workspace's default brain (barebones) if it has none; else None."""
        record = await self._create(
            workspace_id,
            CreateBrain("default", load_template("barebones"), None, only_if_empty=True),
        )
        return None if record is None else await self._created(workspace_id, record, False)

    async def list_brains(self, workspace_id: str) -> list[BrainInfo]:
        """Every brain of the workspace (brains meant to be running are resumed)."""
        records = await self.store.workspace(workspace_id).brains.list()
        infos = []
        for record in records:
            self._brain_ws.setdefault(record.id, workspace_id)
            if self._registry.is_active(BRAIN_KIND, record.id) or (
                record.desired_state == "running"
            ):
                try:
                    infos.append(await self._info(workspace_id, record))
                    continue
                except BrainNotFound:
                    continue
            infos.append(self._stored_info(workspace_id, record))
        return infos

    async def get_brain(self, workspace_id: str, brain_id: str) -> BrainInfo:
        """One brain (activated if needed). Raises `BrainNotFound`."""
        record = await self._record(workspace_id, brain_id)
        return await self._info(workspace_id, record)

    async def update_brain(
        self,
        workspace_id: str,
        brain_id: str,
        *,
        name: str | None = None,
        frequency_hz: float | None = None,
    ) -> BrainInfo:
        """Rename and/or change the burst frequency (quota-checked)."""
        if frequency_hz is not None:
            self._check_hz(frequency_hz)
            self.quotas.check_frequency(workspace_id, frequency_hz)
        if name is not None and not 1 <= len(name) <= 200:
            raise InvalidCommand("a brain name must be 1-200 characters", fields={"name": name})
        if frequency_hz is not None:
            await self._ask(workspace_id, brain_id, SetFrequency(frequency_hz))
        if name is not None:
            await self._ask(workspace_id, brain_id, Rename(name))
        return await self.get_brain(workspace_id, brain_id)

    async def delete_brain(self, workspace_id: str, brain_id: str) -> None:
        """Stop and delete a brain, its snapshot and its FEAGI keys."""
        await self._check_owner(workspace_id, brain_id)
        if self._registry.is_active(BRAIN_KIND, brain_id):
            with contextlib.suppress(Exception):
                await self._registry.ref(BRAIN_KIND, brain_id).ask(Forget())
        ref = await self._workspace_ref(workspace_id)
        with self._feagi_keys.changing():  # the brain's keys are deleted with it
            await ref.ask(DeleteBrain(brain_id))
        await self._registry.passivate(BRAIN_KIND, brain_id)
        self._brain_ws.pop(brain_id, None)
        self._running.discard(brain_id)
        self._fresh.pop(brain_id, None)
        self._publish_workspace(workspace_id, "brain_deleted", {"id": brain_id})
        self._publish(brain_id, "state", {"state": "deleted"})

    async def forget_workspace(self, workspace_id: str) -> None:
        """Stop every brain of a workspace being deleted, without persisting them.

        Call it before ``Store.drop_workspace`` (the store drops the records and keys).
        """
        self._feagi_keys.forget_all()
        brain_ids = [b for b, ws in list(self._brain_ws.items()) if ws == workspace_id]
        for brain_id in brain_ids:
            if self._registry.is_active(BRAIN_KIND, brain_id):
                with contextlib.suppress(Exception):
                    await self._registry.ref(BRAIN_KIND, brain_id).ask(Forget())
                await self._registry.passivate(BRAIN_KIND, brain_id)
            self._brain_ws.pop(brain_id, None)
            self._running.discard(brain_id)
            self._fresh.pop(brain_id, None)
        self._usage.pop(workspace_id, None)
        if self._tenants is not None:
            with contextlib.suppress(Exception):
                await self._tenants.supervisor.remove_child(workspace_id)

    async def usage(self, workspace_id: str) -> tuple[int, int, int]:
        """(brains, neurons, synapses) of the workspace, as the quotas count them."""
        ref = await self._workspace_ref(workspace_id)
        result: tuple[int, int, int] = await ref.ask(Usage())
        return result

    # --- FEAGI keys -----------------------------------------------------------------------

    async def feagi_key(self, key_hash: bytes) -> tuple[str, str] | None:
        """``(workspace, brain)`` the live FEAGI key with this hash opens; None when it is
        unknown or revoked.

        A live key is remembered for ``feagi_key_cache_ttl_s`` (FEAGI clients poll, and a
        store read costs more than answering them): revoking it (`revoke_feagi_key`) or
        deleting its brain or workspace through this host forgets it at once; a revocation
        by another process applies within that time.
        """
        known = self._feagi_keys.get(key_hash)
        if known is not None:
            return known
        record = await self.store.feagi_keys.resolve(key_hash)
        if record is None or record.revoked:
            return None
        found = (record.workspace_id, record.brain_id)
        self._feagi_keys.keep(key_hash, found)
        return found

    async def revoke_feagi_key(self, key_hash: bytes) -> bool:
        """Revoke a FEAGI key: it opens nothing from now on. True if it was live."""
        with self._feagi_keys.changing():
            revoked: bool = await self.store.feagi_keys.revoke(key_hash)
        return revoked

    # --- commands -------------------------------------------------------------------------

    async def command(
        self, workspace_id: str, brain_id: str, command: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Run one named command (REST and websocket "command" messages); see `COMMANDS`."""
        if not isinstance(args, Mapping):
            raise InvalidCommand("command args must be a JSON object")
        handler = self._commands().get(command)
        if handler is None:
            raise InvalidCommand(
                f"unknown command {command!r}; known: {', '.join(COMMANDS)}",
                fields={"command": command},
            )
        result: dict[str, Any] = await handler(workspace_id, brain_id, args)
        return result

    async def call(
        self,
        workspace_id: str,
        brain_id: str,
        fn: Callable[[Brain], T],
        *,
        mutates: bool = False,
    ) -> T:
        """Run ``fn(brain)`` in the brain's actor, on a worker thread, between bursts.

        ``mutates=True`` persists genome and snapshot and publishes ``genome``; the edit is
        one transaction that develops within the room the workspace's neuron and synapse
        quotas leave the brain (past it: `QuotaExceeded`, the brain left exactly as it
        was). Exceptions ``fn`` raises come back unchanged (and undo a mutating ``fn``'s
        edits); an unexpected one (not a ValueError, LookupError, genome, connectome or NPU
        error) also crashes the brain, which is then restarted from its last snapshot.
        """
        await self._check_owner(workspace_id, brain_id)
        if mutates:
            result: T = await self._resize(
                workspace_id, brain_id,
                lambda budget: self._ask_brain(brain_id, Call(fn, mutates=True, budget=budget)),
            )
            return result
        read: T = await self._ask_brain(brain_id, Call(fn))
        return read

    # --- command handlers -----------------------------------------------------------------

    def _commands(self) -> dict[str, Callable[[str, str, Mapping[str, Any]], Any]]:
        return {
            "start": lambda ws, b, a: self._control(ws, b, a, "start"),
            "stop": lambda ws, b, a: self._control(ws, b, a, "stop"),
            "pause": lambda ws, b, a: self._control(ws, b, a, "pause"),
            "resume": lambda ws, b, a: self._control(ws, b, a, "resume"),
            "step": self._cmd_step,
            "set_frequency": self._cmd_set_frequency,
            "sensory": self._cmd_sensory,
            "stimulate": self._cmd_stimulate,
            "motor": self._cmd_motor,
            "stats": self._cmd_stats,
            "genome": self._cmd_genome,
            "put_genome": self._cmd_put_genome,
            "update_area": self._cmd_update_area,
            "set_mapping": self._cmd_set_mapping,
            "snapshot": self._cmd_snapshot,
        }

    async def _control(
        self, ws: str, brain_id: str, args: Mapping[str, Any], action: ControlAction
    ) -> dict[str, Any]:
        no_args(args, action)
        status: BrainStatus = await self._ask(ws, brain_id, Control(action))
        return status_dict(status)

    async def _cmd_step(self, ws: str, brain_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        n = int_arg(args, "n", 1, self.config.max_step, default=1)
        burst: int = await self._ask(ws, brain_id, Step(n))
        return {"burst_count": burst}

    async def _cmd_set_frequency(
        self, ws: str, brain_id: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        hz = number_arg(args, "hz")
        self._check_hz(hz)
        self.quotas.check_frequency(ws, hz)
        return status_dict(await self._ask(ws, brain_id, SetFrequency(hz)))

    async def _cmd_sensory(self, ws: str, brain_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        area = str_arg(args, "area")
        voxels = voxels_arg(args, 4, self.config.max_voxels, required=True)
        await self._ask(ws, brain_id, Call(lambda b: b.inject_sensory(area, voxels), heavy=False))
        return {"accepted": len(voxels or ())}

    async def _cmd_stimulate(
        self, ws: str, brain_id: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        area = str_arg(args, "area")
        voxels = voxels_arg(args, 3, self.config.max_voxels, required=False)
        await self._ask(ws, brain_id, Call(lambda b: b.stimulate(area, voxels), heavy=False))
        return {"accepted": "all" if voxels is None else len(voxels)}

    async def _cmd_motor(self, ws: str, brain_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        no_args(args, "motor")

        def read(brain: Brain) -> dict[str, Any]:
            return {
                "burst_count": brain.burst_count,
                "motor": {area.cortical_id: area.voxels for area in brain.motor()},
            }

        result: dict[str, Any] = await self._ask(
            ws, brain_id, Call(read, heavy=False, readonly=True)
        )
        return result

    async def _cmd_stats(self, ws: str, brain_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        no_args(args, "stats")
        return status_dict(await self._ask(ws, brain_id, Status()))

    async def _cmd_genome(self, ws: str, brain_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
        no_args(args, "genome")
        document: dict[str, Any] = await self._ask(
            ws, brain_id, Call(lambda b: genome_to_dict(b.genome), readonly=True)
        )
        return {"genome": document}

    async def _cmd_put_genome(
        self, ws: str, brain_id: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        document = args.get("genome")
        if not isinstance(document, dict):
            raise InvalidCommand("put_genome needs args.genome, a JSON object",
                                 fields={"genome": "a JSON object is required"})
        genome = self._parse_genome(document)
        await self._check_owner(ws, brain_id)
        stats: BrainStats = await self._resize(
            ws, brain_id, lambda budget: self._ask(ws, brain_id, ReplaceGenome(genome, budget))
        )
        return {"stats": stats_dict(stats)}

    async def _cmd_update_area(
        self, ws: str, brain_id: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        area = str_arg(args, "area")
        changes = args.get("changes")
        if not isinstance(changes, dict) or not changes:
            raise InvalidCommand(
                "update_area needs args.changes, an object of cortical area properties",
                fields={"changes": "a non-empty object: property -> new value"},
            )
        unknown = sorted(set(changes) - _AREA_PROPERTIES)
        if unknown:
            raise InvalidCommand(
                f"update_area cannot change {unknown}; changeable: {sorted(_AREA_PROPERTIES)}",
                fields={f"changes.{name}": "not a changeable property" for name in unknown},
            )

        def update(brain: Brain) -> BrainStats:
            brain.update_area(area, **changes)
            return brain.stats()

        return {"stats": stats_dict(await self._edit(ws, brain_id, update))}

    async def _cmd_set_mapping(
        self, ws: str, brain_id: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        source, destination = str_arg(args, "source"), str_arg(args, "destination")
        rules = _mapping_rules(args.get("rules"))

        def assign(brain: Brain) -> tuple[int, BrainStats]:
            return brain.set_mapping(source, destination, rules), brain.stats()

        synapses, stats = await self._edit(ws, brain_id, assign)
        return {"synapse_count": synapses, "stats": stats_dict(stats)}

    async def _cmd_snapshot(
        self, ws: str, brain_id: str, args: Mapping[str, Any]
    ) -> dict[str, Any]:
        no_args(args, "snapshot")
        result: dict[str, Any] = await self._ask(ws, brain_id, Checkpoint())
        return result

    # --- internals ------------------------------------------------------------------------

    def _genome_of(self, genome: Genome | None, template: str | None) -> Genome:
        if (genome is None) == (template is None):
            raise InvalidCommand(
                "give exactly one of genome and template",
                fields={"genome": "genome or template is required (not both)"},
            )
        if genome is not None:
            return genome
        assert template is not None
        if template not in TEMPLATES:
            raise InvalidCommand(
                f"unknown template {template!r}; known: {', '.join(TEMPLATES)}",
                fields={"template": f"one of {', '.join(TEMPLATES)}"},
            )
        try:
            return load_template(template)
        except UnknownTemplateError as exc:
            raise InvalidCommand(str(exc), fields={"template": template}) from None

    def _parse_genome(self, document: dict[str, Any]) -> Genome:
        """Validate a genome document; `InvalidGenome` lists every error with its path."""
        try:
            return load_genome(document, limits=self.config.genome_limits)
        except GenomeValidationError as exc:
            raise InvalidGenome(exc.errors) from None

    def parse_genome(self, document: dict[str, Any]) -> Genome:
        """Public form of the genome validation used by create and put_genome."""
        return self._parse_genome(document)

    async def _create(self, workspace_id: str, message: CreateBrain) -> BrainRecord | None:
        if message.frequency_hz is not None:
            self._check_hz(message.frequency_hz)
        if not 1 <= len(message.name) <= 200:
            raise InvalidCommand("a brain name must be 1-200 characters", fields={"name": "1-200"})
        if self._kernels_ready is not None:
            await self._kernels_ready()
        ref = await self._workspace_ref(workspace_id)
        record: BrainRecord | None = await ref.ask(message, self.config.ask_timeout_s)
        return record

    async def _created(self, workspace_id: str, record: BrainRecord, autostart: bool) -> BrainInfo:
        self._publish_workspace(
            workspace_id, "brain_created", {"id": record.id, "name": record.name}
        )
        if autostart:
            await self._ask(workspace_id, record.id, Control("start"))
        return await self._info(workspace_id, record)

    def _adopt(self, workspace_id: str, brain_id: str, brain: Brain) -> None:
        """A brain just developed by the workspace actor: its first activation uses it."""
        self._brain_ws[brain_id] = workspace_id
        self._fresh[brain_id] = brain

    async def _resize(
        self, workspace_id: str, brain_id: str, run: Callable[[SizeBudget], Awaitable[Any]]
    ) -> Any:
        """``run(budget)`` in the workspace's actor: one edit that may change a brain's size
        at a time per workspace, each developing within the room the quotas leave the
        brain, so two edits cannot both take the last room. `QuotaExceeded` when the edit
        needs more."""
        ref = await self._workspace_ref(workspace_id)
        try:
            # Twice the brain's timeout: the brain's own (answered as BrainBusy) comes first.
            outcome: Outcome = await ref.ask(
                ResizeBrain(brain_id, run), 2 * self.config.ask_timeout_s
            )
        except (ActorStoppedError, AskTimeoutError, MailboxFullError) as exc:
            raise BrainBusy(f"the workspace of brain {brain_id} is busy: {exc}") from None
        return outcome.unwrap()

    async def _edit(self, workspace_id: str, brain_id: str, fn: Callable[[Brain], T]) -> T:
        """A command's edit of the brain: quota-checked, errors as `InvalidCommand`."""
        await self._check_owner(workspace_id, brain_id)
        result: T = await self._resize(
            workspace_id, brain_id,
            lambda budget: self._ask(workspace_id, brain_id, Call(fn, mutates=True, budget=budget)),
        )
        return result

    async def _ask_brain(self, brain_id: str, message: Any) -> Any:
        """Ask the brain's actor; the errors of what it ran come back unchanged."""
        try:
            return await self._registry.ref(BRAIN_KIND, brain_id).ask(
                message, self.config.ask_timeout_s
            )
        except (ActorStoppedError, AskTimeoutError, MailboxFullError, RegistryError) as exc:
            raise BrainBusy(f"brain {brain_id} is busy or restarting: {exc}") from None

    async def _record(self, workspace_id: str, brain_id: str) -> BrainRecord:
        await self._check_owner(workspace_id, brain_id)
        record = await self.store.workspace(workspace_id).brains.get(brain_id)
        if record is None:
            raise BrainNotFound(brain_id)
        return record

    async def _info(self, workspace_id: str, record: BrainRecord) -> BrainInfo:
        status: BrainStatus = await self._ask(workspace_id, record.id, Status())
        return BrainInfo(
            id=record.id,
            workspace_id=workspace_id,
            name=record.name,
            frequency_hz=status.frequency_hz,
            state=status.state,
            stats=status.stats,
            achieved_hz=status.achieved_hz,
        )

    def _stored_info(self, workspace_id: str, record: BrainRecord) -> BrainInfo:
        return BrainInfo(
            id=record.id,
            workspace_id=workspace_id,
            name=record.name,
            frequency_hz=record.frequency_hz or self.config.default_frequency_hz,
            state=record.desired_state,
            stats=BrainStats(
                burst_count=record.burst_count,
                cortical_area_count=record.cortical_area_count,
                neuron_count=record.neuron_count,
                synapse_count=record.synapse_count,
            ),
        )

    async def _check_owner(self, workspace_id: str, brain_id: str) -> None:
        known = self._brain_ws.get(brain_id)
        if known is None:
            try:
                known = await self.store.brain_directory.workspace_of(brain_id)
            except Exception:
                known = None
            if known is not None:
                self._brain_ws[brain_id] = known
        if known != workspace_id:
            raise BrainNotFound(brain_id)

    async def _workspace_ref(self, workspace_id: str) -> Any:
        if self._tenants is None or self._closed:
            raise BrainBusy("the brain host is not running")
        return await self._tenants.workspace(workspace_id)

    async def _ask(self, workspace_id: str, brain_id: str, message: Any) -> Any:
        await self._check_owner(workspace_id, brain_id)
        try:
            return await self._registry.ref(BRAIN_KIND, brain_id).ask(
                message, self.config.ask_timeout_s
            )
        except (BrainNotFound, InvalidCommand, BrainBusy, SizeBudgetExceeded):
            raise
        except (ActorStoppedError, AskTimeoutError, MailboxFullError, RegistryError) as exc:
            raise BrainBusy(f"brain {brain_id} is busy or restarting: {exc}") from None
        except _BRAIN_ERRORS as exc:
            raise InvalidCommand(str(exc)) from exc
        except Exception as exc:
            if isinstance(exc, BrainNotFound):
                raise
            raise BrainBusy(
                f"brain {brain_id} failed while handling this and is being restarted "
                f"from its last snapshot: {type(exc).__name__}: {exc}"
            ) from exc

    @staticmethod
    def _check_hz(hz: float) -> None:
        if isinstance(hz, bool) or not isinstance(hz, int | float) or not (
            math.isfinite(hz) and hz > 0
        ):
            raise InvalidCommand(
                f"frequency must be a positive number of Hz, got {hz!r}",
                fields={"frequency_hz": "a positive number"},
            )

    def _has_any_listeners(self) -> bool:
        return self.events.statistics().subscribers > 0

    def _has_listeners(self, brain_id: str) -> bool:
        """Whether anyone subscribes to the brain's topic (exactly or by a prefix of it)."""
        return self.events.has_subscribers(self.topic(brain_id))

    def _publish(self, brain_id: str, event: str, data: Mapping[str, Any]) -> None:
        if not self.events.closed:
            self.events.publish(self.topic(brain_id), {"event": event, "data": data})

    def _publish_workspace(self, workspace_id: str, event: str, data: Mapping[str, Any]) -> None:
        if not self.events.closed:
            self.events.publish(self.workspace_topic(workspace_id), {"event": event, "data": data})

    # --- virtual actor lifecycle ----------------------------------------------------------

    async def _activate(self, brain_id: str) -> Actor:
        workspace_id = self._brain_ws.get(brain_id)
        if workspace_id is None:
            raise BrainNotFound(brain_id)
        if self._kernels_ready is not None:
            await self._kernels_ready()
        usage = self._usage.setdefault(workspace_id, {})

        def saved(record: BrainRecord) -> None:
            if record.id in usage:
                usage[record.id] = (record.neuron_count, record.synapse_count)

        port = StoreBrainState(self.store, workspace_id, brain_id, on_saved=saved)
        return BrainActor(
            brain_id,
            port=port,
            scheduler=self.scheduler,
            events=self.events,
            topic=self.topic(brain_id),
            default_hz=self.config.default_frequency_hz,
            preloaded=self._fresh.pop(brain_id, None),
            restart_cause=self._restart_causes.pop(brain_id, None),
            on_crash=self._on_crash,
            on_state=self._on_state,
        )

    async def _passivated(self, brain_id: str, actor: Actor) -> None:
        self._running.discard(brain_id)

    def _on_state(self, brain_id: str, state: RunState) -> None:
        if state == "running":
            self._running.add(brain_id)
        else:
            self._running.discard(brain_id)

    def _on_crash(self, brain_id: str, error: BaseException) -> None:
        self._running.discard(brain_id)
        workspace_id = self._brain_ws.get(brain_id)
        if workspace_id is None or self._closed:
            return
        self._spawn(self._report_crash(workspace_id, brain_id, error))

    async def _report_crash(self, workspace_id: str, brain_id: str, error: BaseException) -> None:
        ref = await self._workspace_ref(workspace_id)
        await ref.tell(BrainCrashed(brain_id, error))

    def _restart_later(
        self, workspace_id: str, brain_id: str, error: BaseException, delay: float
    ) -> None:
        """Called by the workspace actor: reactivate a crashed brain after ``delay``."""

        async def restart() -> None:
            await self.clock.sleep(delay)
            if self._brain_ws.get(brain_id) != workspace_id:
                return  # deleted meanwhile
            if self._registry.is_active(BRAIN_KIND, brain_id):
                self._publish(brain_id, "restarted", {"reason": repr(error)})
                return
            self._restart_causes[brain_id] = error
            try:
                await self._registry.get(BRAIN_KIND, brain_id)
            except Exception as exc:
                self._restart_causes.pop(brain_id, None)
                _log.error("brain.restart_failed", brain=brain_id, exc_info=exc)
                self._publish(brain_id, "error", {"message": f"restart failed: {exc}"})

        self._spawn(restart())

    def _give_up(
        self, workspace_id: str, brain_id: str, error: BaseException, crashes: int
    ) -> None:
        """Called by the workspace actor: too many crashes; leave the brain stopped."""
        message = (
            f"brain crashed {crashes} times within {self.config.restart_within_s:g} s "
            f"(last: {type(error).__name__}: {error}); it stays stopped until started again"
        )
        _log.error("brain.gave_up", brain=brain_id, crashes=crashes)
        self._publish(brain_id, "error", {"message": message})

        async def stop() -> None:
            repo = self.store.workspace(workspace_id).brains
            record = await repo.get(brain_id)
            if record is not None and record.desired_state != "stopped":
                await repo.update(dataclasses.replace(record, desired_state="stopped"))

        self._spawn(stop())

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resume_running(self) -> None:
        """Activate every brain the store lists as meant to be running, at most
        ``resume_concurrency`` at once, then log how many were resumed, skipped (no longer
        meant to run: stopped or deleted meanwhile, or a stale entry) and failed (logged
        one by one; the others go on)."""
        tally: Counter[str] = Counter()
        gate = asyncio.Semaphore(self.config.resume_concurrency)

        def counts() -> dict[str, int]:
            return {k: tally[k] for k in ("resumed", "skipped", "failed")}

        after: RunningBrain | None = None
        try:
            if self._kernels_ready is not None:
                await self._kernels_ready()
            while page := await self.store.running_brains.list(after=after, limit=_RESUME_PAGE):
                async with asyncio.TaskGroup() as group:
                    for entry in page:
                        group.create_task(self._resume_counted(entry, gate, tally))
                after = page[-1]
        except asyncio.CancelledError:
            _log.info("brains.resume_interrupted", **counts())
            raise
        except Exception as exc:
            _log.error("brains.resume_aborted", **counts(), exc_info=exc)
            return
        _log.info("brains.resumed", **counts())

    async def _resume_counted(
        self, entry: RunningBrain, gate: asyncio.Semaphore, tally: Counter[str]
    ) -> None:
        async with gate:
            try:
                resumed = await self._resume(entry.workspace_id, entry.brain_id)
            except Exception as exc:
                tally["failed"] += 1
                _log.error("brain.resume_failed", workspace=entry.workspace_id,
                           brain=entry.brain_id, exc_info=exc)
                return
        tally["resumed" if resumed else "skipped"] += 1

    async def _resume(self, workspace_id: str, brain_id: str) -> bool:
        """Activate one listed brain: activation restores its stored state, running
        included. False when it is not running afterwards (no longer meant to)."""
        try:
            record = await self.store.workspace(workspace_id).brains.get(brain_id)
        except WorkspaceNotProvisioned:
            return False  # a stale entry of a deleted workspace
        if record is None or record.desired_state != "running":
            return False  # a stale entry, or stopped or deleted since it was listed
        self._brain_ws.setdefault(brain_id, workspace_id)
        try:
            await self._registry.get(BRAIN_KIND, brain_id)
        except BrainNotFound:
            # Deleted after the record was read: forget its workspace again.
            self._brain_ws.pop(brain_id, None)
            return False
        if self._brain_ws.get(brain_id) != workspace_id:
            # Deleted while it was activating (deletion passivates only active brains):
            # stop it without saving it back.
            with contextlib.suppress(Exception):
                await self._registry.ref(BRAIN_KIND, brain_id).ask(Forget())
            await self._registry.passivate(BRAIN_KIND, brain_id)
            return False
        return brain_id in self._running

    async def _keep_running_alive(self) -> None:
        """Touch running brains so the registry's idle sweep never passivates them."""
        period = max(0.01, self.config.brain_idle_s / 4)
        while True:
            await self.clock.sleep(period)
            for brain_id in list(self._running):
                if self._registry.is_active(BRAIN_KIND, brain_id):
                    with contextlib.suppress(Exception):
                        await self._registry.get(BRAIN_KIND, brain_id)


def _mapping_rules(raw: object) -> list[MappingRule]:
    """``args.rules`` of ``set_mapping``: mapping rules as a genome writes them (lists or
    objects); every problem is listed with its path."""
    if not isinstance(raw, list):
        raise InvalidCommand(
            "set_mapping needs args.rules, a list of mapping rules (empty: delete the mapping)",
            fields={"rules": "a list of mapping rules"},
        )
    sink = ErrorCollector()
    parser = RuleParser(sink)
    rules = [parser.parse_rule(rule, f"$.rules[{i}]") for i, rule in enumerate(raw)]
    if sink.errors:
        fields = {error.path: error.message for error in sink.errors}
        raise InvalidCommand(f"the mapping has {len(sink.errors)} invalid rule(s); see fields",
                             fields=fields)
    return [rule for rule in rules if rule is not None]
