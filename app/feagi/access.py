"""How the FEAGI API reaches one brain: the :class:`FeagiBrainAccess` protocol.

The API never holds a :class:`~brains.brain.Brain` itself: it hands functions to
``call(fn, mutates=...)``, which runs them where the brain lives (between bursts, on a
worker thread), and drives the burst loop through ``start`` / ``stop`` /
``set_frequency``. :class:`LocalBrainAccess` serves one in-process brain (a single-brain
server, the tests); the hosted implementation goes through the brain host's actors.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import anyio
import anyio.to_thread
from anyio.abc import TaskGroup, TaskStatus

from app.feagi.errors import FeagiError
from app.feagi.keys import hash_key
from brains.brain import Brain
from brains.genome import load_genome
from brains.npu import BurstLoop, BurstLoopState
from brains.npu import InvalidInputError as NpuInputError

__all__ = [
    "FeagiBrainAccess",
    "FeagiKeyResolver",
    "LocalBrainAccess",
    "RunState",
    "StaticKeyResolver",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RunState:
    """The burst loop as the FEAGI API reports it, with the burst counter read alongside
    (``burst_engine/stats`` answers from this one read)."""

    running: bool
    paused: bool
    frequency_hz: float
    burst_count: int


class FeagiBrainAccess(Protocol):
    """One brain, as the FEAGI API needs it. Errors are :class:`FeagiError`."""

    @property
    def workspace_id(self) -> str: ...

    @property
    def brain_id(self) -> str: ...

    async def call(self, fn: Callable[[Brain], T], *, mutates: bool = False) -> T:
        """Run ``fn(brain)`` between bursts off the event loop; ``mutates`` if it edits."""
        ...

    async def run_state(self) -> RunState: ...

    async def start(self) -> None:
        """Start bursting; :class:`FeagiError` (400) when already running."""
        ...

    async def stop(self) -> None:
        """Stop bursting (nothing happens when already stopped)."""
        ...

    async def set_frequency(self, hz: float) -> None: ...

    async def upload_genome(self, document: dict[str, Any]) -> None:
        """Replace the brain's genome (re-develop); the brain is unchanged on any error."""
        ...


class FeagiKeyResolver(Protocol):
    """Maps a FEAGI key (the secret in the base URL) to the brain it opens."""

    async def resolve(self, key: str) -> FeagiBrainAccess | None: ...


class StaticKeyResolver:
    """Fixed keys (e.g. one brain served by ``LocalBrainAccess``); only hashes are kept."""

    def __init__(self, keys: Mapping[str, FeagiBrainAccess]) -> None:
        self._by_hash = {hash_key(key): access for key, access in keys.items()}

    async def resolve(self, key: str) -> FeagiBrainAccess | None:
        return self._by_hash.get(hash_key(key))


class _Bursts:
    """What the burst loop steps: the brain (its engine is replaced by edits), under the lock."""

    def __init__(self, owner: LocalBrainAccess) -> None:
        self._owner = owner

    @property
    def burst_count(self) -> int:
        return self._owner._brain.burst_count

    def step_n(self, n: int, *, record: int = 0) -> Any:
        with self._owner._lock:
            return self._owner._brain.step(n)


class LocalBrainAccess:
    """An in-process brain with its own burst loop; use as ``async with``.

    Calls and bursts take turns through one lock, both on worker threads, so the event
    loop never waits for a burst or a re-development.
    """

    def __init__(self, brain: Brain, *, workspace_id: str = "local", brain_id: str = "local",
                 frequency_hz: float | None = None) -> None:
        self._brain = brain
        self._lock = threading.Lock()
        hz = frequency_hz if frequency_hz is not None else (
            brain.genome.physiology.burst_frequency_hz)
        self._loop = BurstLoop(_Bursts(self), frequency_hz=hz)
        self._workspace_id = workspace_id
        self._brain_id = brain_id
        self._tg: TaskGroup | None = None
        self._stopped: anyio.Event | None = None

    @property
    def workspace_id(self) -> str:
        return self._workspace_id

    @property
    def brain_id(self) -> str:
        return self._brain_id

    async def __aenter__(self) -> Self:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.stop()
        assert self._tg is not None
        tg, self._tg = self._tg, None
        await tg.__aexit__(exc_type, exc, tb)

    async def call(self, fn: Callable[[Brain], T], *, mutates: bool = False) -> T:
        def locked() -> T:
            with self._lock:
                return fn(self._brain)

        return await anyio.to_thread.run_sync(locked)

    async def run_state(self) -> RunState:
        state = self._loop.state
        return RunState(
            running=state in (BurstLoopState.RUNNING, BurstLoopState.PAUSED),
            paused=state is BurstLoopState.PAUSED,
            frequency_hz=float(self._loop.frequency_hz or 0.0),
            burst_count=self._brain.burst_count,
        )

    async def start(self) -> None:
        if self._tg is None:
            raise RuntimeError("LocalBrainAccess.start() outside 'async with'")
        if self._loop.state in (BurstLoopState.RUNNING, BurstLoopState.PAUSED):
            raise FeagiError(400, "Invalid state: the burst engine is already running")
        await self._tg.start(self._run)

    async def _run(self, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED) -> None:
        stopped = self._stopped = anyio.Event()
        try:
            await self._loop.run(task_status=task_status)
        finally:
            stopped.set()

    async def stop(self) -> None:
        self._loop.stop()
        if self._stopped is not None:
            # A new run must not start while the old one is still inside a burst.
            await self._stopped.wait()

    async def set_frequency(self, hz: float) -> None:
        try:
            self._loop.set_frequency(hz)
        except NpuInputError as exc:
            raise FeagiError(400, str(exc)) from None

    async def upload_genome(self, document: dict[str, Any]) -> None:
        genome = await anyio.to_thread.run_sync(load_genome, document)
        await self.call(lambda brain: brain.replace_genome(genome), mutates=True)
