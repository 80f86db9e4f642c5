"""SQLite workspace-bound repositories: data in the workspace's own file.

Each repository holds the workspace id it was built for and reaches only that file, so there
is no statement here that could name another workspace's rows.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from tenancy.store._codec import (
    check_positive_limit,
    check_size,
    decode_json,
    encode_json,
    from_micros,
    to_micros,
)
from tenancy.store.errors import NotFound
from tenancy.store.records import (
    BrainRecord,
    BrainSnapshot,
    InstalledApp,
    Memory,
    Thread,
    ThreadMessage,
)
from tenancy.store.sqlite._files import WorkspaceFiles
from tenancy.store.sqlite._sql import conflict, transaction
from tenancy.store.sqlite.system import SQLiteRunningBrainIndex

Row = tuple[Any, ...]


class _Bound:
    def __init__(self, files: WorkspaceFiles, workspace_id: str, max_record_bytes: int) -> None:
        self._files = files
        self._workspace_id = workspace_id
        self._max_record_bytes = max_record_bytes


_APP_COLUMNS = "app_id, version, settings, installed_at"


def _app(row: Row) -> InstalledApp:
    app_id, version, settings, installed_at = row
    return InstalledApp(
        app_id=app_id,
        version=version,
        settings=decode_json(settings, "app settings"),
        installed_at=from_micros(installed_at),
    )


class SQLiteAppRepository(_Bound):
    """`AppRepository` in the workspace file."""

    async def put(self, app: InstalledApp) -> None:
        settings = encode_json(app.settings, "app settings", self._max_record_bytes)

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    f"INSERT OR REPLACE INTO apps ({_APP_COLUMNS}) VALUES (?, ?, ?, ?)",
                    (app.app_id, app.version, settings, to_micros(app.installed_at)),
                )

        await self._files.run(self._workspace_id, run)

    async def get(self, app_id: str) -> InstalledApp | None:
        def run(conn: sqlite3.Connection) -> InstalledApp | None:
            row = conn.execute(
                f"SELECT {_APP_COLUMNS} FROM apps WHERE app_id = ?", (app_id,)
            ).fetchone()
            return None if row is None else _app(row)

        return await self._files.run(self._workspace_id, run)

    async def list(self) -> list[InstalledApp]:
        def run(conn: sqlite3.Connection) -> list[InstalledApp]:
            rows = conn.execute(f"SELECT {_APP_COLUMNS} FROM apps ORDER BY app_id").fetchall()
            return [_app(r) for r in rows]

        return await self._files.run(self._workspace_id, run)

    async def remove(self, app_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM apps WHERE app_id = ?", (app_id,))
            return cur.rowcount > 0

        return await self._files.run(self._workspace_id, run)


_BRAIN_COLUMNS = (
    "id, name, genome, created_at, updated_at, frequency_hz, desired_state, seed, "
    "cortical_area_count, neuron_count, synapse_count, burst_count"
)
_BRAIN_MUTABLE = (
    "name, genome, updated_at, frequency_hz, desired_state, seed, cortical_area_count, "
    "neuron_count, synapse_count, burst_count"
)


def _brain(row: Row) -> BrainRecord:
    id_, name, genome, created_at, updated_at, hz, state, seed, areas, neurons, syn, bursts = row
    return BrainRecord(
        id=id_,
        name=name,
        genome=decode_json(genome, "brain genome"),
        created_at=from_micros(created_at),
        updated_at=from_micros(updated_at),
        frequency_hz=None if hz is None else float(hz),
        desired_state=state,
        seed=seed,
        cortical_area_count=areas,
        neuron_count=neurons,
        synapse_count=syn,
        burst_count=bursts,
    )


def _brain_mutable(brain: BrainRecord, genome: str) -> tuple[Any, ...]:
    return (
        brain.name, genome, to_micros(brain.updated_at), brain.frequency_hz,
        brain.desired_state, brain.seed, brain.cortical_area_count, brain.neuron_count,
        brain.synapse_count, brain.burst_count,
    )


class SQLiteBrainRepository(_Bound):
    """`BrainRepository` in the workspace file; keeps the running index of ``system.db`` in
    step (the ordering `RunningBrainIndex` promises: entry first, record after)."""

    def __init__(
        self,
        files: WorkspaceFiles,
        workspace_id: str,
        max_record_bytes: int,
        running: SQLiteRunningBrainIndex,
    ) -> None:
        super().__init__(files, workspace_id, max_record_bytes)
        self._running = running

    async def create(self, brain: BrainRecord) -> None:
        genome = encode_json(brain.genome, "brain genome", self._max_record_bytes)
        if brain.desired_state == "running":
            await self._running.add(self._workspace_id, brain.id)

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                try:
                    conn.execute(
                        f"INSERT INTO brains (id, created_at, {_BRAIN_MUTABLE}) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (brain.id, to_micros(brain.created_at), *_brain_mutable(brain, genome)),
                    )
                except sqlite3.IntegrityError as exc:
                    raise conflict(exc, {"brains.id": "id"}, "a brain") from exc

        await self._files.run(self._workspace_id, run)

    async def get(self, brain_id: str) -> BrainRecord | None:
        def run(conn: sqlite3.Connection) -> BrainRecord | None:
            row = conn.execute(
                f"SELECT {_BRAIN_COLUMNS} FROM brains WHERE id = ?", (brain_id,)
            ).fetchone()
            return None if row is None else _brain(row)

        return await self._files.run(self._workspace_id, run)

    async def list(self) -> list[BrainRecord]:
        def run(conn: sqlite3.Connection) -> list[BrainRecord]:
            rows = conn.execute(
                f"SELECT {_BRAIN_COLUMNS} FROM brains ORDER BY created_at, id"
            ).fetchall()
            return [_brain(r) for r in rows]

        return await self._files.run(self._workspace_id, run)

    async def update(self, brain: BrainRecord) -> None:
        genome = encode_json(brain.genome, "brain genome", self._max_record_bytes)
        running = brain.desired_state == "running"
        assignments = ", ".join(f"{c.strip()} = ?" for c in _BRAIN_MUTABLE.split(","))

        def write(conn: sqlite3.Connection, *, indexed: bool) -> str | None:
            """The record's previous desired_state; None, writing nothing, when it is about
            to become running and its index entry is not known to exist yet."""
            with transaction(conn):
                row = conn.execute(
                    "SELECT desired_state FROM brains WHERE id = ?", (brain.id,)
                ).fetchone()
                if row is None:
                    raise NotFound(f"no brain {brain.id!r} in this workspace")
                previous = str(row[0])
                if running and previous != "running" and not indexed:
                    return None
                conn.execute(
                    f"UPDATE brains SET {assignments} WHERE id = ?",
                    (*_brain_mutable(brain, genome), brain.id),
                )
            return previous

        # A record already running has its entry (see `RunningBrainIndex`), so the common
        # save of a running brain touches system.db not at all.
        previous = await self._files.run(self._workspace_id, lambda c: write(c, indexed=False))
        if previous is None:
            await self._running.add(self._workspace_id, brain.id)
            previous = await self._files.run(
                self._workspace_id, lambda c: write(c, indexed=True)
            )
        if previous == "running" and not running:
            await self._running.remove(self._workspace_id, brain.id)

    async def delete(self, brain_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM brains WHERE id = ?", (brain_id,))
            return cur.rowcount > 0

        existed = await self._files.run(self._workspace_id, run)
        # Whatever the record said: this also clears an entry a crash left stale.
        await self._running.remove(self._workspace_id, brain_id)
        return existed

    async def save_snapshot(self, snapshot: BrainSnapshot) -> None:
        check_size(len(snapshot.data), "brain snapshot", self._max_record_bytes)

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                exists = conn.execute(
                    "SELECT 1 FROM brains WHERE id = ?", (snapshot.brain_id,)
                ).fetchone()
                if exists is None:
                    raise NotFound(f"no brain {snapshot.brain_id!r} in this workspace")
                conn.execute(
                    "INSERT OR REPLACE INTO brain_snapshots (brain_id, data, burst_count, "
                    "saved_at) VALUES (?, ?, ?, ?)",
                    (snapshot.brain_id, snapshot.data, snapshot.burst_count,
                     to_micros(snapshot.saved_at)),
                )

        await self._files.run(self._workspace_id, run)

    async def load_snapshot(self, brain_id: str) -> BrainSnapshot | None:
        def run(conn: sqlite3.Connection) -> BrainSnapshot | None:
            row = conn.execute(
                "SELECT brain_id, data, burst_count, saved_at FROM brain_snapshots "
                "WHERE brain_id = ?",
                (brain_id,),
            ).fetchone()
            if row is None:
                return None
            return BrainSnapshot(
                brain_id=row[0], data=bytes(row[1]), burst_count=row[2],
                saved_at=from_micros(row[3]),
            )

        return await self._files.run(self._workspace_id, run)


_MEMORY_COLUMNS = "id, kind, brain_id, data, created_at"


def _memory(row: Row) -> Memory:
    id_, kind, brain_id, data, created_at = row
    return Memory(
        id=id_,
        kind=kind,
        brain_id=brain_id,
        data=decode_json(data, "memory data"),
        created_at=from_micros(created_at),
    )


class SQLiteMemoryRepository(_Bound):
    """`MemoryRepository` in the workspace file."""

    async def put(self, memory: Memory) -> None:
        data = encode_json(memory.data, "memory data", self._max_record_bytes)

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    f"INSERT OR REPLACE INTO memories ({_MEMORY_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                    (memory.id, memory.kind, memory.brain_id, data,
                     to_micros(memory.created_at)),
                )

        await self._files.run(self._workspace_id, run)

    async def get(self, memory_id: str) -> Memory | None:
        def run(conn: sqlite3.Connection) -> Memory | None:
            row = conn.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id = ?", (memory_id,)
            ).fetchone()
            return None if row is None else _memory(row)

        return await self._files.run(self._workspace_id, run)

    async def list(
        self, *, kind: str | None = None, brain_id: str | None = None, limit: int = 100
    ) -> list[Memory]:
        check_positive_limit(limit)
        clauses: list[str] = []
        params: list[object] = []
        if kind is not None:
            clauses.append("kind = ?")
            params.append(kind)
        if brain_id is not None:
            clauses.append("brain_id = ?")
            params.append(brain_id)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""

        def run(conn: sqlite3.Connection) -> list[Memory]:
            rows = conn.execute(
                f"SELECT {_MEMORY_COLUMNS} FROM memories {where} ORDER BY created_at, id LIMIT ?",
                (*params, limit),
            ).fetchall()
            return [_memory(r) for r in rows]

        return await self._files.run(self._workspace_id, run)

    async def delete(self, memory_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM memories WHERE id = ?", (memory_id,))
            return cur.rowcount > 0

        return await self._files.run(self._workspace_id, run)


_MESSAGE_COLUMNS = "message_id, sender, sent_at, body, headers"
_THREAD_FIELDS = {"threads.id": "id", "thread_messages.message_id": "message_id"}


def _message(row: Row) -> ThreadMessage:
    message_id, sender, sent_at, body, headers = row
    return ThreadMessage(
        message_id=message_id,
        sender=sender,
        sent_at=from_micros(sent_at),
        body=body,
        headers=decode_json(headers, "thread message headers"),
    )


def _load_thread(conn: sqlite3.Connection, thread_id: str) -> Thread | None:
    row = conn.execute(
        "SELECT id, subject, participants, created_at FROM threads WHERE id = ?", (thread_id,)
    ).fetchone()
    if row is None:
        return None
    messages = conn.execute(
        f"SELECT {_MESSAGE_COLUMNS} FROM thread_messages WHERE thread_id = ? ORDER BY seq",
        (thread_id,),
    ).fetchall()
    participants = decode_json(row[2], "thread participants")["participants"]
    return Thread(
        id=row[0],
        subject=row[1],
        participants=tuple(participants),
        created_at=from_micros(row[3]),
        messages=tuple(_message(m) for m in messages),
    )


class SQLiteThreadRepository(_Bound):
    """`ThreadRepository` in the workspace file (messages in their own table)."""

    def _encode_message(self, message: ThreadMessage) -> tuple[str, str, int, str, str]:
        headers = encode_json(message.headers, "thread message headers", self._max_record_bytes)
        check_size(
            len(message.body.encode()) + len(headers), "thread message", self._max_record_bytes
        )
        return (message.message_id, message.sender, to_micros(message.sent_at), message.body,
                headers)

    @staticmethod
    def _insert_message(
        conn: sqlite3.Connection, thread_id: str, seq: int, encoded: tuple[str, str, int, str, str]
    ) -> None:
        try:
            conn.execute(
                f"INSERT INTO thread_messages (thread_id, seq, {_MESSAGE_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (thread_id, seq, *encoded),
            )
        except sqlite3.IntegrityError as exc:
            raise conflict(exc, _THREAD_FIELDS, "a thread message") from exc

    async def create(self, thread: Thread) -> None:
        participants = encode_json(
            {"participants": list(thread.participants)}, "thread participants",
            self._max_record_bytes,
        )
        messages = [self._encode_message(m) for m in thread.messages]

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                try:
                    conn.execute(
                        "INSERT INTO threads (id, subject, participants, created_at) "
                        "VALUES (?, ?, ?, ?)",
                        (thread.id, thread.subject, participants, to_micros(thread.created_at)),
                    )
                except sqlite3.IntegrityError as exc:
                    raise conflict(exc, _THREAD_FIELDS, "a thread") from exc
                for seq, encoded in enumerate(messages):
                    self._insert_message(conn, thread.id, seq, encoded)

        await self._files.run(self._workspace_id, run)

    async def get(self, thread_id: str) -> Thread | None:
        def run(conn: sqlite3.Connection) -> Thread | None:
            with transaction(conn, write=False):
                return _load_thread(conn, thread_id)

        return await self._files.run(self._workspace_id, run)

    async def list(self, *, limit: int = 100) -> list[Thread]:
        check_positive_limit(limit)

        def run(conn: sqlite3.Connection) -> list[Thread]:
            with transaction(conn, write=False):
                ids = conn.execute(
                    "SELECT id FROM threads ORDER BY created_at, id LIMIT ?", (limit,)
                ).fetchall()
                threads = [_load_thread(conn, row[0]) for row in ids]
            return [t for t in threads if t is not None]

        return await self._files.run(self._workspace_id, run)

    async def append(self, thread_id: str, message: ThreadMessage) -> Thread:
        encoded = self._encode_message(message)

        def run(conn: sqlite3.Connection) -> Thread:
            with transaction(conn):
                row = conn.execute(
                    "SELECT (SELECT 1 FROM threads WHERE id = ?), "
                    "(SELECT coalesce(max(seq), -1) FROM thread_messages WHERE thread_id = ?)",
                    (thread_id, thread_id),
                ).fetchone()
                if row[0] is None:
                    raise NotFound(f"no thread {thread_id!r} in this workspace")
                self._insert_message(conn, thread_id, int(row[1]) + 1, encoded)
                thread = _load_thread(conn, thread_id)
            assert thread is not None  # inside the same transaction as the insert
            return thread

        return await self._files.run(self._workspace_id, run)

    async def find_by_message_id(self, message_id: str) -> Thread | None:
        def run(conn: sqlite3.Connection) -> Thread | None:
            with transaction(conn, write=False):
                row = conn.execute(
                    "SELECT thread_id FROM thread_messages WHERE message_id = ?", (message_id,)
                ).fetchone()
                return None if row is None else _load_thread(conn, row[0])

        return await self._files.run(self._workspace_id, run)

    async def delete(self, thread_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
            return cur.rowcount > 0

        return await self._files.run(self._workspace_id, run)
