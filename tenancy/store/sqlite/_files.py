"""The per-workspace SQLite files: opened lazily, at most `max_open` at once (LRU)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import anyio

from tenancy.store.errors import StoreClosed, WorkspaceNotProvisioned
from tenancy.store.sqlite._worker import (
    ConnectionWorker,
    connect,
    sync_directory,
    translate,
)
from tenancy.store.sqlite.schema import WORKSPACE_MIGRATIONS, migrate

T = TypeVar("T")


class _Slot:
    """An open workspace connection and how many calls are using it now."""

    __slots__ = ("busy", "worker")

    def __init__(self, worker: ConnectionWorker) -> None:
        self.worker = worker
        self.busy = 0


class WorkspaceFiles:
    """Connections to ``<dir>/<workspace id>.db``, one thread each, at most `max_open`.

    When the cap is reached the least recently used *idle* connection is closed; if every
    open connection is in use, callers for other workspaces wait for one to become idle. So
    the number of connection threads stays bounded by the cap even when more workspaces than
    that are busy at once (eviction never churns threads under load).
    """

    def __init__(self, directory: Path, *, max_open: int, busy_timeout_s: float) -> None:
        if max_open < 1:
            raise ValueError(f"max_open_workspaces must be >= 1; got {max_open}")
        self._directory = directory
        self._max_open = max_open
        self._busy_timeout_s = busy_timeout_s
        self._open: OrderedDict[str, _Slot] = OrderedDict()
        self._dropping: set[str] = set()
        self._idle = asyncio.Event()
        self._closed = False

    @property
    def open_count(self) -> int:
        """How many workspace connections are open (or opening) now."""
        return len(self._open)

    def path(self, workspace_id: str) -> Path:
        """The database file of a workspace."""
        return self._directory / f"{workspace_id}.db"

    def _connect(self, workspace_id: str, *, create: bool) -> sqlite3.Connection:
        path = self.path(workspace_id)
        if not create and not path.exists():
            raise WorkspaceNotProvisioned(
                f"workspace {workspace_id!r} has no storage; provision it first"
            )
        conn = connect(path, create=create, busy_timeout_s=self._busy_timeout_s)
        try:
            migrate(conn, WORKSPACE_MIGRATIONS, where=str(path))
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_usable(self, workspace_id: str) -> None:
        if self._closed:
            raise StoreClosed("the store is closed")
        if workspace_id in self._dropping:
            raise WorkspaceNotProvisioned(f"workspace {workspace_id!r} is being deleted")

    def _take(self, workspace_id: str) -> _Slot | None:
        """The slot for `workspace_id`, opening one if the cap allows; None: wait."""
        slot = self._open.get(workspace_id)
        if slot is not None:
            self._open.move_to_end(workspace_id)
            return slot
        if len(self._open) >= self._max_open:
            victim = next((key for key, s in self._open.items() if s.busy == 0), None)
            if victim is None:
                return None
            self._open.pop(victim).worker.close()
        slot = _Slot(
            ConnectionWorker(
                lambda: self._connect(workspace_id, create=False),
                name=str(self.path(workspace_id)),
            )
        )
        self._open[workspace_id] = slot
        return slot

    async def _acquire(self, workspace_id: str) -> _Slot:
        while True:
            self._check_usable(workspace_id)
            slot = self._take(workspace_id)
            if slot is not None:
                slot.busy += 1
                return slot
            await self._idle.wait()

    def _release(self, slot: _Slot) -> None:
        slot.busy -= 1
        if slot.busy == 0:
            # Wake every waiter once, then arm a fresh event for the next wait.
            self._idle.set()
            self._idle = asyncio.Event()

    async def run(self, workspace_id: str, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn` on the workspace's connection thread."""
        slot = await self._acquire(workspace_id)
        try:
            return await slot.worker.run(fn)
        finally:
            self._release(slot)

    async def provision(self, workspace_id: str) -> None:
        """Create (or migrate) the workspace's file; it is opened again lazily on use."""
        self._check_usable(workspace_id)

        def create() -> None:
            self._directory.mkdir(parents=True, exist_ok=True)
            self._connect(workspace_id, create=True).close()

        try:
            await anyio.to_thread.run_sync(create)
        except sqlite3.Error as exc:
            raise translate(exc, str(self.path(workspace_id))) from exc

    async def drop(self, workspace_id: str) -> None:
        """Close the workspace's connection and delete its file, WAL and shared memory."""
        self._dropping.add(workspace_id)
        try:
            slot = self._open.pop(workspace_id, None)
            if slot is not None:
                # Queued behind the calls already using it; new calls are refused meanwhile.
                await slot.worker.aclose()
            path = self.path(workspace_id)

            def unlink() -> None:
                for suffix in ("", "-wal", "-shm", "-journal"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
                sync_directory(self._directory)

            await anyio.to_thread.run_sync(unlink)
        finally:
            self._dropping.discard(workspace_id)
            self._idle.set()
            self._idle = asyncio.Event()

    async def aclose(self) -> None:
        """Close every connection and wait for their threads."""
        self._closed = True
        slots = list(self._open.values())
        self._open.clear()
        self._idle.set()
        for slot in slots:
            await slot.worker.aclose()
