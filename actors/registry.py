"""Virtual actors: addressed by (kind, key), activated on first use, passivated when idle.

* ``get(kind, key)`` activates through the kind's async ``activate(key)`` factory (which may
  load state) and returns the actor's :class:`ActorRef`; concurrent calls for one key share
  a single activation. ``ref(kind, key)`` returns a :class:`VirtualRef` that activates on
  every message if needed, so holders never see a passivated actor.
* After ``idle_timeout`` seconds without a message through the registry the actor is
  passivated: graceful stop (queue handled, ``stopping()``), then the kind's async
  ``passivate(key, actor)`` hook (which may persist state). A key being passivated is
  reactivated only after its passivation finished.
* At most ``max_active`` actors are active; activating one more passivates the least
  recently used first.
* A crashing virtual actor is dropped without the passivate hook (its state is not trusted);
  the next message activates it again from what was last persisted.
* ``aclose()`` passivates everything.
"""

from __future__ import annotations

import asyncio
import enum
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import structlog

from actors.actor import DEFAULT_ASK_TIMEOUT, DEFAULT_MAILBOX_SIZE, Actor, ActorRef, _ActorCell
from actors.clock import Clock, SystemClock
from actors.errors import ActorStoppedError, RegistryError, UnknownActorKindError

__all__ = ["ActorKind", "Registry", "RegistryStatistics", "VirtualRef"]

_log = structlog.get_logger("actors")

Activate = Callable[[str], Awaitable[Actor]]
Passivate = Callable[[str, Actor], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ActorKind:
    """A registered kind of virtual actor and its lifecycle settings."""

    name: str
    activate: Activate
    passivate: Passivate | None
    idle_timeout: float
    mailbox_size: int
    shutdown_timeout: float


@dataclass(frozen=True, slots=True)
class RegistryStatistics:
    """Registry counts now and totals since it was created."""

    active: int
    activating: int
    passivating: int
    max_active: int
    activations_total: int
    passivations_total: int
    crashes_total: int


class _Phase(enum.Enum):
    ACTIVATING = "activating"
    ACTIVE = "active"
    PASSIVATING = "passivating"


class _Entry:
    __slots__ = ("cell", "key", "kind", "last_used", "phase", "transition")

    def __init__(self, kind: ActorKind, key: str, now: float, loop: asyncio.AbstractEventLoop):
        self.kind = kind
        self.key = key
        self.cell: _ActorCell | None = None
        self.last_used = now
        self.phase = _Phase.ACTIVATING
        # Resolved when the current activation or passivation is over (either way).
        self.transition: asyncio.Future[None] = loop.create_future()


class VirtualRef:
    """Address of a virtual actor that (re)activates it on demand for every message."""

    __slots__ = ("_registry", "key", "kind")

    def __init__(self, registry: Registry, kind: str, key: str) -> None:
        self._registry = registry
        self.kind = kind
        self.key = key

    def __repr__(self) -> str:
        return f"<VirtualRef {self.kind}/{self.key}>"

    async def tell(self, message: Any) -> None:
        """Queue a message, activating the actor first if needed (waits while full)."""
        for attempt in range(2):
            ref = await self._registry.get(self.kind, self.key)
            try:
                await ref.tell(message)
                return
            except ActorStoppedError:
                if attempt:  # it was passivated again right away; give up rather than spin
                    raise

    async def ask(
        self,
        message: Any,
        timeout: float | None = DEFAULT_ASK_TIMEOUT,  # noqa: ASYNC109 - as ActorRef.ask
    ) -> Any:
        """Ask, activating the actor first if needed; same errors as ``ActorRef.ask``."""
        for attempt in range(2):
            ref = await self._registry.get(self.kind, self.key)
            try:
                return await ref.ask(message, timeout)
            except ActorStoppedError:
                # Passivation raced with us and the message was not handled (a crash while
                # handling raises the handler's own exception instead): retry once.
                if attempt:
                    raise
        raise AssertionError("unreachable")


class Registry:
    """Holds the active virtual actors of every registered kind."""

    def __init__(
        self,
        *,
        max_active: int = 10_000,
        clock: Clock | None = None,
        name: str = "registry",
    ) -> None:
        if max_active < 1:
            raise ValueError(f"max_active must be >= 1, got {max_active}")
        self.max_active = max_active
        self.name = name
        self._clock = clock or SystemClock()
        self._kinds: dict[str, ActorKind] = {}
        self._entries: OrderedDict[tuple[str, str], _Entry] = OrderedDict()
        self._sweeper: asyncio.Task[None] | None = None
        self._wake_sweeper = asyncio.Event()
        self._closed = False
        self._passivating = 0
        self._activations = 0
        self._passivations = 0
        self._crashes = 0

    def register(
        self,
        kind: str,
        activate: Activate,
        *,
        passivate: Passivate | None = None,
        idle_timeout: float = 300.0,
        mailbox_size: int = DEFAULT_MAILBOX_SIZE,
        shutdown_timeout: float = 5.0,
    ) -> None:
        """Declare a kind of virtual actor and how to activate/passivate one."""
        if kind in self._kinds:
            raise RegistryError(f"actor kind {kind!r} is already registered")
        if not kind or "/" in kind:
            raise ValueError(f"invalid actor kind {kind!r}: non-empty, without '/'")
        if idle_timeout <= 0 or mailbox_size < 1 or shutdown_timeout < 0:
            raise ValueError(
                f"kind {kind!r}: need idle_timeout > 0, mailbox_size >= 1, shutdown_timeout >= 0"
            )
        self._kinds[kind] = ActorKind(
            kind, activate, passivate, idle_timeout, mailbox_size, shutdown_timeout
        )
        self._wake_sweeper.set()

    def start(self) -> None:
        """Start the idle sweeper (needs a running loop)."""
        if self._sweeper is None and not self._closed:
            self._sweeper = asyncio.get_running_loop().create_task(
                self._sweep_forever(), name=f"{self.name} idle sweeper"
            )

    @property
    def closed(self) -> bool:
        return self._closed

    def statistics(self) -> RegistryStatistics:
        """Active/activating/passivating counts and lifetime totals."""
        counts = dict.fromkeys(_Phase, 0)
        for entry in self._entries.values():
            counts[entry.phase] += 1
        return RegistryStatistics(
            active=counts[_Phase.ACTIVE],
            activating=counts[_Phase.ACTIVATING],
            passivating=counts[_Phase.PASSIVATING],
            max_active=self.max_active,
            activations_total=self._activations,
            passivations_total=self._passivations,
            crashes_total=self._crashes,
        )

    def _actor_cells(self) -> list[_ActorCell]:
        return [entry.cell for entry in self._entries.values() if entry.cell is not None]

    def is_active(self, kind: str, key: str) -> bool:
        """True if (kind, key) is currently active (not activating or passivating)."""
        entry = self._entries.get((kind, key))
        return entry is not None and entry.phase is _Phase.ACTIVE

    def ref(self, kind: str, key: str) -> VirtualRef:
        """A :class:`VirtualRef` for (kind, key); activates nothing until used."""
        self._kind(kind)
        return VirtualRef(self, kind, key)

    async def get(self, kind: str, key: str) -> ActorRef:
        """The running actor for (kind, key), activating it first if needed."""
        spec = self._kind(kind)
        ident = (kind, key)
        entries = self._entries
        while True:
            if self._closed:
                raise RegistryError(f"{self.name} is closed; no activations")
            entry = entries.get(ident)
            if entry is None:
                return await self._activate(spec, ident)
            if entry.phase is _Phase.ACTIVE:
                assert entry.cell is not None
                entry.last_used = self._clock.monotonic()
                entries.move_to_end(ident)
                return entry.cell.ref
            await asyncio.wait({entry.transition})

    async def passivate(self, kind: str, key: str) -> bool:
        """Passivate one actor now; False if it was not active."""
        entry = self._entries.get((kind, key))
        if entry is None or entry.phase is not _Phase.ACTIVE:
            return False
        await self._passivate(entry)
        return True

    async def aclose(self) -> None:
        """Passivate every active actor and refuse new activations."""
        self._closed = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.wait({self._sweeper})
            self._sweeper = None
        while self._entries:
            pending = [
                entry.transition
                for entry in self._entries.values()
                if entry.phase is not _Phase.ACTIVE
            ]
            active = [entry for entry in self._entries.values() if entry.phase is _Phase.ACTIVE]
            await asyncio.gather(*(self._passivate(entry) for entry in active))
            if pending:
                await asyncio.wait(pending)

    # -- internals -------------------------------------------------------------------------

    def _kind(self, kind: str) -> ActorKind:
        try:
            return self._kinds[kind]
        except KeyError:
            raise UnknownActorKindError(
                f"no virtual actor kind {kind!r} is registered in {self.name} "
                f"(known: {sorted(self._kinds) or 'none'})"
            ) from None

    async def _activate(self, spec: ActorKind, ident: tuple[str, str]) -> ActorRef:
        loop = asyncio.get_running_loop()
        entry = _Entry(spec, ident[1], self._clock.monotonic(), loop)
        self._entries[ident] = entry
        try:
            await self._make_room()
            actor = await spec.activate(entry.key)
            cell = _ActorCell(
                entry.key,
                f"{self.name}/{spec.name}/{entry.key}",
                lambda: actor,
                spec.mailbox_size,
                lambda cell, reason: self._on_exit(entry, reason),
            )
            await cell.start()
        except BaseException:
            if self._entries.get(ident) is entry:
                del self._entries[ident]
            entry.transition.set_result(None)
            raise
        entry.cell = cell
        entry.phase = _Phase.ACTIVE
        entry.last_used = self._clock.monotonic()
        entry.transition.set_result(None)
        self._activations += 1
        return cell.ref

    async def _make_room(self) -> None:
        while True:
            if len(self._entries) - self._passivating <= self.max_active:
                return
            victim = next((e for e in self._entries.values() if e.phase is _Phase.ACTIVE), None)
            if victim is None:
                raise RegistryError(
                    f"{self.name} is at max_active={self.max_active} with every slot still "
                    "activating; raise max_active or activate fewer actors at once"
                )
            await self._passivate(victim)

    async def _passivate(self, entry: _Entry) -> None:
        if entry.phase is not _Phase.ACTIVE:
            return
        cell = entry.cell
        assert cell is not None
        entry.phase = _Phase.PASSIVATING
        self._passivating += 1
        entry.transition = asyncio.get_running_loop().create_future()
        ident = (entry.kind.name, entry.key)
        try:
            await cell.shutdown(entry.kind.shutdown_timeout)
            if entry.kind.passivate is not None and cell.instance is not None:
                try:
                    await entry.kind.passivate(entry.key, cell.instance)
                except Exception as exc:
                    _log.error("actor.passivate_failed", actor=cell.path, exc_info=exc)
        finally:
            if self._entries.get(ident) is entry:
                del self._entries[ident]
            self._passivating -= 1
            self._passivations += 1
            entry.transition.set_result(None)

    def _on_exit(self, entry: _Entry, reason: BaseException | None) -> None:
        """The actor crashed or stopped itself: drop it without the passivate hook."""
        ident = (entry.kind.name, entry.key)
        if self._entries.get(ident) is entry:
            del self._entries[ident]
        if reason is not None:
            self._crashes += 1
        if entry.cell is not None:
            entry.cell.terminate()
            _log.warning(
                "actor.deactivated",
                actor=entry.cell.path,
                reason=None if reason is None else repr(reason),
            )

    async def _sweep_forever(self) -> None:
        clock = self._clock
        while True:
            if not self._kinds:
                self._wake_sweeper.clear()
                await self._wake_sweeper.wait()
                continue
            shortest = min(kind.idle_timeout for kind in self._kinds.values())
            await clock.sleep(shortest / 4)
            now = clock.monotonic()
            idle: list[_Entry] = []
            for entry in self._entries.values():
                if now - entry.last_used < shortest:
                    break  # LRU order: everything after was used more recently
                if entry.phase is _Phase.ACTIVE and now - entry.last_used >= (
                    entry.kind.idle_timeout
                ):
                    idle.append(entry)
            if idle:
                await asyncio.gather(*(self._passivate(entry) for entry in idle))
