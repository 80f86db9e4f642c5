"""One SQLite connection and the single thread that owns it.

sqlite3 connections keep `check_same_thread=True`: every call on a connection runs on the
thread that opened it, so the driver itself guards thread affinity. The event loop only
waits on a future; it never touches the connection.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from tenancy.store.errors import StoreClosed, StoreError, StoreUnavailable

T = TypeVar("T")

Opener = Callable[[], sqlite3.Connection]


def sync_directory(directory: Path) -> None:
    """fsync a directory so that files created or deleted in it stay so after a power loss
    (SQLite syncs file contents, not the directory entry of a new database)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def connect(path: Path, *, create: bool, busy_timeout_s: float) -> sqlite3.Connection:
    """Open `path` in WAL mode with durable (fsync on commit) transactions.

    With ``create=False`` a missing file raises `sqlite3.OperationalError` instead of silently
    creating an empty database.
    """
    existed = path.exists()
    uri = path.resolve().as_uri() + ("?mode=rwc" if create else "?mode=rw")
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, isolation_level=None)
    try:
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StoreUnavailable(f"{path}: cannot enable WAL journal (got {mode!r})")
        # FULL: a commit is on disk when it returns, also in WAL mode (NORMAL may lose the
        # last transactions on power loss).
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        if not existed:
            sync_directory(path.parent)
    except BaseException:
        conn.close()
        raise
    return conn


def translate(exc: sqlite3.Error, where: str) -> StoreError:
    """Map a driver error that no repository handled to the store hierarchy."""
    if isinstance(exc, sqlite3.OperationalError):
        return StoreUnavailable(f"{where}: {exc} (check disk space, permissions, locks)")
    return StoreError(f"{where}: {exc}")


class ConnectionWorker:
    """Runs functions against one lazily opened connection on one dedicated thread."""

    def __init__(self, opener: Opener, name: str) -> None:
        self._opener = opener
        self._name = name
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._conn: sqlite3.Connection | None = None
        self._closing = False

    @property
    def name(self) -> str:
        """What this worker serves (for messages): a file path."""
        return self._name

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if self._conn is None:
                self._conn = self._opener()
            return fn(self._conn)
        except sqlite3.Error as exc:
            raise translate(exc, self._name) from exc

    def submit(self, fn: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue `fn` after every call submitted before it (synchronous; no await)."""
        if self._closing:
            raise StoreClosed(f"{self._name}: connection is closed")
        return self._executor.submit(self._call, fn)

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(connection)` on the worker thread and wait for it.

        Cancelling the caller before the call starts skips it; once started it completes
        (a transaction is never cut in half by a cancellation).
        """
        return await asyncio.wrap_future(self.submit(fn))

    def _close_connection(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def close(self) -> Future[None]:
        """Close after the queued calls finish; returns a future of the close itself."""
        if self._closing:
            done: Future[None] = Future()
            done.set_result(None)
            return done
        closed = self._executor.submit(self._close_connection)
        self._closing = True
        self._executor.shutdown(wait=False)
        return closed

    async def aclose(self) -> None:
        """Close and wait until the connection and its thread are gone."""
        await asyncio.wrap_future(self.close())
