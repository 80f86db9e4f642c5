"""The root object an application holds: supervision tree, event hub and virtual actors."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import structlog

from actors.actor import DEFAULT_MAILBOX_SIZE, Actor, ActorRef, ActorState, _ActorCell
from actors.clock import Clock, SystemClock
from actors.errors import ActorError, SupervisorEscalationError
from actors.event_hub import EventHub
from actors.registry import Registry
from actors.supervisor import (
    Backoff,
    ChildSpec,
    Restart,
    Strategy,
    Supervisor,
    SupervisorSpec,
    _Runtime,
)

__all__ = ["ActorSystem", "SystemStatistics"]

_log = structlog.get_logger("actors")


@dataclass(frozen=True, slots=True)
class SystemStatistics:
    """Numbers for /metrics, computed when asked (no bookkeeping on the message path).

    ``actors_*``, ``mailbox_*`` and ``messages_*`` cover the actors that exist now (supervised
    and virtual); ``*_total`` counters of crashes, restarts, escalations, activations,
    passivations and events cover the system's whole life.
    """

    actors_running: int
    actors_total: int
    mailbox_depth_total: int
    mailbox_depth_max: int
    messages_processed_total: int
    messages_dropped_total: int
    crashes_total: int
    restarts_total: int
    escalations_total: int
    virtual_actors_active: int
    activations_total: int
    passivations_total: int
    event_subscribers: int
    events_published_total: int
    events_dropped_total: int
    subscribers_disconnected_total: int


class ActorSystem:
    """``await start()``, add children under ``root``, ``await aclose(timeout=...)``.

    If the root supervisor gives up (restart intensity exceeded), the system stops:
    ``running`` turns False and ``failure`` holds the :class:`SupervisorEscalationError`.
    """

    def __init__(
        self,
        name: str = "root",
        *,
        clock: Clock | None = None,
        events: EventHub | None = None,
        strategy: Strategy = Strategy.ONE_FOR_ONE,
        max_restarts: int = 3,
        within: float = 5.0,
        backoff: Backoff | None = None,
        max_active_virtual: int = 10_000,
    ) -> None:
        self.clock = clock or SystemClock()
        self.events = events or EventHub()
        self.registry = Registry(
            max_active=max_active_virtual, clock=self.clock, name=f"{name}/virtual"
        )
        self._root_spec = SupervisorSpec(
            name,
            strategy=strategy,
            max_restarts=max_restarts,
            within=within,
            backoff=backoff or Backoff(),
        )
        self._runtime = _Runtime(self.clock, self.events)
        self._root: Supervisor | None = None
        self._running = False
        self._closed = False
        self.failure: SupervisorEscalationError | None = None

    @property
    def running(self) -> bool:
        """True between a successful ``start()`` and ``aclose()`` or a root failure."""
        return self._running

    @property
    def root(self) -> Supervisor:
        """The root supervisor; add application children here."""
        if self._root is None:
            raise ActorError("the actor system is not started: await system.start() first")
        return self._root

    async def start(self) -> None:
        """Start the root supervisor and the virtual-actor idle sweeper."""
        if self._closed:
            raise ActorError("the actor system was closed; create a new one")
        if self._root is not None:
            raise ActorError("the actor system is already started")
        self._root = Supervisor(self._root_spec, on_exit=self._root_failed, _runtime=self._runtime)
        await self._root.start()
        self.registry.start()
        self._running = True
        _log.info("actors.started", system=self._root_spec.name)

    async def spawn(
        self,
        name: str,
        factory: Callable[[], Actor],
        *,
        restart: Restart = Restart.PERMANENT,
        mailbox_size: int = DEFAULT_MAILBOX_SIZE,
    ) -> ActorRef:
        """Shortcut for ``root.add_child(ChildSpec(...))``."""
        return await self.root.add_child(
            ChildSpec(name, factory, restart=restart, mailbox_size=mailbox_size)
        )

    def statistics(self) -> SystemStatistics:
        """Aggregate numbers over every actor, the registry and the event hub."""
        cells = self._cells()
        depths = [len(cell.mailbox) for cell in cells]
        registry = self.registry.statistics()
        hub = self.events.statistics()
        return SystemStatistics(
            actors_running=sum(1 for cell in cells if cell.state is ActorState.RUNNING),
            actors_total=len(cells),
            mailbox_depth_total=sum(depths),
            mailbox_depth_max=max(depths, default=0),
            messages_processed_total=sum(cell.processed for cell in cells),
            messages_dropped_total=sum(cell.dropped for cell in cells),
            crashes_total=self._runtime.crashes_total + registry.crashes_total,
            restarts_total=self._runtime.restarts_total,
            escalations_total=self._runtime.escalations_total,
            virtual_actors_active=registry.active,
            activations_total=registry.activations_total,
            passivations_total=registry.passivations_total,
            event_subscribers=hub.subscribers,
            events_published_total=hub.published_total,
            events_dropped_total=hub.dropped_total,
            subscribers_disconnected_total=hub.disconnected_total,
        )

    async def aclose(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109 - drain budget
        """Passivate virtual actors, stop the tree gracefully, cancel what is left at timeout.

        Idempotent. Ends the event hub last so subscribers see the final events.
        """
        if self._closed:
            return
        self._closed = True
        self._running = False
        try:
            async with asyncio.timeout(timeout):
                await self.registry.aclose()
                if self._root is not None:
                    await self._root.shutdown()
        except TimeoutError:
            _log.warning("actors.shutdown_timeout", timeout_s=timeout)
            await self._kill_all()
        self.events.close()
        _log.info("actors.stopped", system=self._root_spec.name)

    async def __aenter__(self) -> ActorSystem:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _cells(self) -> list[_ActorCell]:
        cells = self._root._actor_cells() if self._root is not None else []
        cells.extend(self.registry._actor_cells())
        return cells

    async def _kill_all(self) -> None:
        tasks = []
        for cell in self._cells():
            task = cell.kill()
            if task is not None:
                tasks.append(task)
        if self._root is not None:
            self._root.terminate()
        if tasks:
            await asyncio.wait(tasks)

    def _root_failed(self, root: Supervisor, reason: BaseException | None) -> None:
        assert isinstance(reason, SupervisorEscalationError)
        self.failure = reason
        self._running = False
        _log.critical("actors.root_failed", reason=str(reason))
        root.terminate()
