"""Supervisors with OTP semantics.

* Strategies: ``ONE_FOR_ONE`` restarts the failed child, ``ONE_FOR_ALL`` restarts every
  child, ``REST_FOR_ONE`` restarts the failed child and the children added after it.
* Restart types: ``PERMANENT`` children are always restarted, ``TRANSIENT`` only after a
  crash (not after a normal exit), ``TEMPORARY`` never (they are removed when they exit and
  are not restarted with their siblings either).
* Restart intensity: more than ``max_restarts`` restarts within ``within`` seconds and the
  supervisor stops its children and fails to its parent with :class:`SupervisorEscalationError`
  (the parent then applies its own strategy to it, as to any child).
* Restart back-off: bounded exponential (``Backoff``), counted over the restarts in the
  current intensity window.
* Every restart is observable: a :class:`SupervisionEvent` published on the event hub topic
  ``SUPERVISION_TOPIC`` and passed to listeners, a structlog line, and the restart counters.

Restarts keep each child's mailbox and :class:`~actors.actor.ActorRef`, so addresses handed
out stay valid. A supervisor handles exits one at a time (a back-off delays the handling of
later exits), but children can be added and removed while it waits.
"""

from __future__ import annotations

import asyncio
import enum
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import structlog

from actors.actor import DEFAULT_MAILBOX_SIZE, Actor, ActorRef, ActorState, _ActorCell
from actors.clock import Clock, SystemClock
from actors.errors import SupervisorError, SupervisorEscalationError

if TYPE_CHECKING:
    from actors.event_hub import EventHub

__all__ = [
    "SUPERVISION_TOPIC",
    "Backoff",
    "ChildInfo",
    "ChildSpec",
    "Restart",
    "Strategy",
    "SupervisionEvent",
    "Supervisor",
    "SupervisorSpec",
    "SupervisorStatistics",
]

SUPERVISION_TOPIC = "actors/supervision"

_log = structlog.get_logger("actors")


class Strategy(enum.Enum):
    """Which children a supervisor restarts when one of them exits."""

    ONE_FOR_ONE = "one_for_one"
    ONE_FOR_ALL = "one_for_all"
    REST_FOR_ONE = "rest_for_one"


class Restart(enum.Enum):
    """When a child is restarted: always, only after a crash, or never."""

    PERMANENT = "permanent"
    TRANSIENT = "transient"
    TEMPORARY = "temporary"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before a restart: ``initial * multiplier**n`` capped at ``maximum``.

    ``n`` is the number of restarts already made in the current intensity window, so the
    first restart after a quiet period waits ``initial``.
    """

    initial: float = 0.01
    maximum: float = 1.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if self.initial < 0 or self.maximum < self.initial or self.multiplier < 1:
            raise ValueError(
                f"invalid back-off {self}: need 0 <= initial <= maximum and multiplier >= 1"
            )

    def delay(self, previous_restarts: int) -> float:
        """Seconds to wait before the restart that follows ``previous_restarts`` in the window."""
        if self.initial == 0:
            return 0.0
        return float(min(self.maximum, self.initial * self.multiplier**previous_restarts))


@dataclass(frozen=True, slots=True)
class ChildSpec:
    """How to build and restart one actor child."""

    name: str
    factory: Callable[[], Actor]
    restart: Restart = Restart.PERMANENT
    mailbox_size: int = DEFAULT_MAILBOX_SIZE
    #: Seconds a graceful stop may take (handling the queue, ``stopping()``) before cancel.
    shutdown_timeout: float = 5.0

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.mailbox_size < 1:
            raise ValueError(f"child {self.name!r}: mailbox_size must be >= 1")


@dataclass(frozen=True, slots=True)
class SupervisorSpec:
    """How to build a (nested) supervisor and its initial children."""

    name: str
    strategy: Strategy = Strategy.ONE_FOR_ONE
    max_restarts: int = 3
    within: float = 5.0
    backoff: Backoff = field(default_factory=Backoff)
    restart: Restart = Restart.PERMANENT
    children: tuple[ChildSpec | SupervisorSpec, ...] = ()

    def __post_init__(self) -> None:
        _check_name(self.name)
        if self.max_restarts < 0 or self.within <= 0:
            raise ValueError(
                f"supervisor {self.name!r}: need max_restarts >= 0 and within > 0 "
                f"(got {self.max_restarts} within {self.within} s)"
            )


@dataclass(frozen=True, slots=True)
class SupervisionEvent:
    """Published for every restart, removal of an exited child, and escalation."""

    kind: str  # "restart" | "exit" | "escalation"
    supervisor: str
    child: str
    reason: str | None
    restarts_in_window: int
    backoff_s: float
    at: float

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict (what is published on the hub)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ChildInfo:
    """One child as listed by ``Supervisor.children()``."""

    name: str
    kind: str  # "actor" | "supervisor"
    restart: Restart
    running: bool


@dataclass(frozen=True, slots=True)
class SupervisorStatistics:
    """A snapshot of one supervisor (not of its subtree)."""

    path: str
    running: bool
    children: int
    restarts: int
    escalations: int


class _Runtime:
    """What a supervision tree shares: clock, event hub, listeners and counters."""

    __slots__ = (
        "clock",
        "crashes_total",
        "escalations_total",
        "events",
        "listeners",
        "restarts_total",
    )

    def __init__(self, clock: Clock, events: EventHub | None) -> None:
        self.clock = clock
        self.events = events
        self.listeners: list[Callable[[SupervisionEvent], None]] = []
        self.restarts_total = 0
        self.escalations_total = 0
        self.crashes_total = 0

    def emit(self, event: SupervisionEvent) -> None:
        if self.events is not None and not self.events.closed:
            self.events.publish(SUPERVISION_TOPIC, event.to_dict())
        for listener in self.listeners:
            try:
                listener(event)
            except Exception as exc:  # a broken listener must not break supervision
                _log.error("actor.supervision_listener_failed", exc_info=exc)


class _ActorChild:
    __slots__ = ("cell", "spec")

    def __init__(self, spec: ChildSpec, cell: _ActorCell) -> None:
        self.spec = spec
        self.cell = cell

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def restart(self) -> Restart:
        return self.spec.restart

    @property
    def running(self) -> bool:
        return self.cell.state is ActorState.RUNNING

    async def start(self, cause: BaseException | None, *, restart: bool) -> None:
        await self.cell.start(cause, restart=restart)

    async def halt(self) -> None:
        await self.cell.halt(self.spec.shutdown_timeout)

    async def shutdown(self) -> None:
        await self.cell.shutdown(self.spec.shutdown_timeout)

    def terminate(self) -> None:
        self.cell.terminate()


ExitNotice = Callable[["Supervisor", BaseException | None], None]


class Supervisor:
    """Starts, watches and restarts children; children can be added while it runs."""

    def __init__(
        self,
        spec: SupervisorSpec,
        *,
        clock: Clock | None = None,
        events: EventHub | None = None,
        parent_path: str | None = None,
        on_exit: ExitNotice | None = None,
        _runtime: _Runtime | None = None,
    ) -> None:
        self.spec = spec
        self.path = spec.name if parent_path is None else f"{parent_path}/{spec.name}"
        self._runtime = _runtime or _Runtime(clock or SystemClock(), events)
        self._on_exit = on_exit
        self._children: list[_ActorChild | Supervisor] = []
        self._notices: asyncio.Queue[tuple[_ActorChild | Supervisor, BaseException | None]] = (
            asyncio.Queue()
        )
        self._lock = asyncio.Lock()
        self._restart_times: deque[float] = deque()
        self._control: asyncio.Task[None] | None = None
        self._running = False
        self._terminated = False
        self.restarts = 0
        self.escalations = 0
        self.failure: SupervisorEscalationError | None = None

    # -- public API -----------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def restart(self) -> Restart:
        return self.spec.restart

    @property
    def running(self) -> bool:
        return self._running

    def add_listener(self, listener: Callable[[SupervisionEvent], None]) -> None:
        """Call ``listener`` with every supervision event of this whole tree."""
        self._runtime.listeners.append(listener)

    async def start(self, cause: BaseException | None = None, *, restart: bool = False) -> None:
        """Start (or, after an escalation, restart) this supervisor and its children."""
        if self._terminated:
            raise SupervisorError(f"supervisor {self.path!r} was shut down; build a new one")
        if self._running:
            raise SupervisorError(f"supervisor {self.path!r} is already running")
        if self._control is not None and not self._control.done():
            await asyncio.wait({self._control})
        async with self._lock:
            if restart:
                self._restart_times.clear()
                self.failure = None
                for child in list(self._children):
                    if child.restart is Restart.TEMPORARY:
                        child.terminate()
                        self._children.remove(child)
                    else:
                        await self._start_child(child, restart=True)
            else:
                for child_spec in self.spec.children:
                    await self._add(child_spec)
            self._running = True
            self._control = asyncio.get_running_loop().create_task(
                self._control_loop(), name=f"supervisor {self.path}"
            )

    async def add_child(self, spec: ChildSpec) -> ActorRef:
        """Start an actor child; returns once its ``started()`` hook has completed.

        If ``started()`` raises, the child is not added and the exception propagates.
        """
        async with self._lock:
            self._require_running()
            child = await self._add(spec)
        assert isinstance(child, _ActorChild)
        return child.cell.ref

    async def add_supervisor(self, spec: SupervisorSpec) -> Supervisor:
        """Start a nested supervisor child (and its initial children)."""
        async with self._lock:
            self._require_running()
            child = await self._add(spec)
        assert isinstance(child, Supervisor)
        return child

    async def remove_child(self, name: str) -> None:
        """Stop a child gracefully (see the stop rule in ``actors.actor``) and forget it."""
        async with self._lock:
            child = self._find(name)
            self._children.remove(child)
            await child.shutdown()

    def child(self, name: str) -> ActorRef | Supervisor:
        """The address of an actor child, or the nested supervisor, by name."""
        found = self._find(name)
        return found.cell.ref if isinstance(found, _ActorChild) else found

    def children(self) -> list[ChildInfo]:
        """The current children, in start order."""
        return [
            ChildInfo(
                name=child.name,
                kind="actor" if isinstance(child, _ActorChild) else "supervisor",
                restart=child.restart,
                running=child.running,
            )
            for child in self._children
        ]

    def statistics(self) -> SupervisorStatistics:
        """Children count and this supervisor's restart/escalation counters."""
        return SupervisorStatistics(
            path=self.path,
            running=self._running,
            children=len(self._children),
            restarts=self.restarts,
            escalations=self.escalations,
        )

    def _actor_cells(self) -> list[_ActorCell]:
        """Every actor cell in this subtree (for statistics)."""
        cells: list[_ActorCell] = []
        for child in self._children:
            if isinstance(child, _ActorChild):
                cells.append(child.cell)
            else:
                cells.extend(child._actor_cells())
        return cells

    async def aclose(self) -> None:
        """Graceful stop of the whole subtree, children in reverse start order."""
        await self.shutdown()

    # -- the child protocol (used by a parent supervisor) ----------------------------------

    async def halt(self) -> None:
        """Stop the children (queues kept) so that the parent can restart this supervisor."""
        await self._stop_control()
        async with self._lock:
            self._running = False
            for child in reversed(self._children):
                await child.halt()

    async def shutdown(self) -> None:
        """Graceful stop of every child in reverse start order; the supervisor cannot restart."""
        await self._stop_control()
        async with self._lock:
            self._running = False
            self._terminated = True
            # Removed only once stopped, so a forced stop after a timeout still sees it.
            for child in reversed(list(self._children)):
                await child.shutdown()
                self._children.remove(child)

    def terminate(self) -> None:
        """Immediate stop without draining: close every mailbox, reject what is queued."""
        self._running = False
        self._terminated = True
        if self._control is not None and self._control is not asyncio.current_task():
            self._control.cancel()
        while self._children:
            self._children.pop().terminate()

    # -- internals -------------------------------------------------------------------------

    def _require_running(self) -> None:
        if not self._running:
            raise SupervisorError(
                f"supervisor {self.path!r} is not running"
                + (f" (it failed: {self.failure})" if self.failure else "")
            )

    def _find(self, name: str) -> _ActorChild | Supervisor:
        for child in self._children:
            if child.name == name:
                return child
        raise SupervisorError(f"supervisor {self.path!r} has no child named {name!r}")

    async def _add(self, spec: ChildSpec | SupervisorSpec) -> _ActorChild | Supervisor:
        if any(child.name == spec.name for child in self._children):
            raise SupervisorError(
                f"supervisor {self.path!r} already has a child named {spec.name!r}"
            )
        child: _ActorChild | Supervisor
        if isinstance(spec, ChildSpec):
            cell = _ActorCell(
                spec.name, f"{self.path}/{spec.name}", spec.factory, spec.mailbox_size, None
            )
            child = _ActorChild(spec, cell)
            cell.on_exit = lambda _cell, reason: self._notices.put_nowait((child, reason))
        else:
            child = Supervisor(
                spec,
                parent_path=self.path,
                on_exit=lambda sup, reason: self._notices.put_nowait((sup, reason)),
                _runtime=self._runtime,
            )
        try:
            await child.start(None, restart=False)
        except BaseException:
            child.terminate()
            raise
        self._children.append(child)
        return child

    async def _start_child(
        self, child: _ActorChild | Supervisor, *, restart: bool, cause: BaseException | None = None
    ) -> None:
        try:
            await child.start(cause, restart=restart)
        except Exception as exc:
            _log.error("actor.restart_failed", supervisor=self.path, child=child.name, exc_info=exc)
            self._notices.put_nowait((child, exc))

    async def _stop_control(self) -> None:
        control = self._control
        if control is None or control is asyncio.current_task() or control.done():
            return
        control.cancel()
        await asyncio.wait({control})

    async def _control_loop(self) -> None:
        while True:
            child, reason = await self._notices.get()
            async with self._lock:
                if child not in self._children or child.running:
                    continue
                group, delay = await self._on_child_exit(child, reason)
            if not self._running:
                return  # gave up; the parent decides what happens next
            if not group:
                continue
            if delay > 0:
                # Outside the lock: children can be added or removed during the back-off.
                await self._runtime.clock.sleep(delay)
            async with self._lock:
                for sibling in group:
                    if sibling in self._children and not sibling.running:
                        await self._start_child(
                            sibling, restart=True, cause=reason if sibling is child else None
                        )

    async def _on_child_exit(
        self, child: _ActorChild | Supervisor, reason: BaseException | None
    ) -> tuple[list[_ActorChild | Supervisor], float]:
        """Apply the strategy: the children to restart after the returned back-off."""
        runtime = self._runtime
        clock = runtime.clock
        if reason is not None and isinstance(child, _ActorChild):
            runtime.crashes_total += 1
        if child.restart is Restart.TEMPORARY or (
            child.restart is Restart.TRANSIENT and reason is None
        ):
            self._children.remove(child)
            child.terminate()
            _log.info(
                "actor.exited", supervisor=self.path, child=child.name, reason=_describe(reason)
            )
            runtime.emit(
                SupervisionEvent(
                    "exit",
                    self.path,
                    child.name,
                    _describe(reason),
                    len(self._restart_times),
                    0.0,
                    clock.monotonic(),
                )
            )
            return [], 0.0

        now = clock.monotonic()
        window = self._restart_times
        while window and window[0] <= now - self.spec.within:
            window.popleft()
        window.append(now)
        if len(window) > self.spec.max_restarts:
            await self._escalate(child, reason, len(window))
            return [], 0.0

        delay = self.spec.backoff.delay(len(window) - 1)
        group = self._restart_group(child)
        for sibling in reversed(group):
            if sibling is child:
                continue
            if sibling.restart is Restart.TEMPORARY:
                self._children.remove(sibling)
                await sibling.shutdown()
            else:
                await sibling.halt()
        self.restarts += 1
        runtime.restarts_total += 1
        _log.warning(
            "actor.restarting",
            supervisor=self.path,
            child=child.name,
            reason=_describe(reason),
            strategy=self.spec.strategy.value,
            restarts_in_window=len(window),
            backoff_s=delay,
        )
        runtime.emit(
            SupervisionEvent(
                "restart", self.path, child.name, _describe(reason), len(window), delay, now
            )
        )
        return [sibling for sibling in group if sibling in self._children], delay

    def _restart_group(self, child: _ActorChild | Supervisor) -> list[_ActorChild | Supervisor]:
        strategy = self.spec.strategy
        if strategy is Strategy.ONE_FOR_ONE:
            return [child]
        if strategy is Strategy.ONE_FOR_ALL:
            return list(self._children)
        return self._children[self._children.index(child) :]

    async def _escalate(
        self, child: _ActorChild | Supervisor, reason: BaseException | None, restarts: int
    ) -> None:
        spec = self.spec
        error = SupervisorEscalationError(
            f"supervisor {self.path!r} gave up: {restarts} restarts within {spec.within} s "
            f"exceed its limit of {spec.max_restarts}; last exit of child {child.name!r}: "
            f"{_describe(reason)}"
        )
        error.__cause__ = reason
        self.failure = error
        self.escalations += 1
        self._runtime.escalations_total += 1
        self._running = False
        _log.error(
            "actor.escalation",
            supervisor=self.path,
            child=child.name,
            reason=_describe(reason),
            restarts_in_window=restarts,
        )
        self._runtime.emit(
            SupervisionEvent(
                "escalation",
                self.path,
                child.name,
                _describe(reason),
                restarts,
                0.0,
                self._runtime.clock.monotonic(),
            )
        )
        for sibling in reversed(self._children):
            if sibling.running:
                await sibling.halt()
        if self._on_exit is not None:
            self._on_exit(self, error)
        else:
            self.terminate()


def _describe(reason: BaseException | None) -> str | None:
    return None if reason is None else f"{type(reason).__name__}: {reason}"


def _check_name(name: str) -> None:
    if not name or "/" in name:
        raise ValueError(f"invalid child name {name!r}: must be non-empty and contain no '/'")
