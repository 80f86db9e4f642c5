"""SQLite adapter specifics: layout, pragmas, migrations, LRU of open files, threads."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import NOW, make_workspace

from tenancy.store import (
    CodeOutcome,
    InstalledApp,
    LoginCode,
    Memory,
    SchemaError,
    SQLiteStore,
    User,
    WorkspaceNotProvisioned,
    open_store,
)
from tenancy.store.sqlite.schema import (
    SYSTEM_MIGRATIONS,
    WORKSPACE_MIGRATIONS,
    Migration,
    current_version,
    migrate,
)


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    store = await SQLiteStore.open(tmp_path / "store", max_open_workspaces=2)
    yield store
    await store.aclose()


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


async def test_the_store_is_one_system_file_plus_one_file_per_workspace(
    sqlite_store: SQLiteStore,
) -> None:
    await make_workspace(sqlite_store, "w1")

    root = sqlite_store.root
    assert (root / "system.db").is_file()
    assert (root / "workspaces" / "w1.db").is_file()


async def test_files_use_wal_and_full_synchronous_commits(sqlite_store: SQLiteStore) -> None:
    await make_workspace(sqlite_store, "w1")

    # Inspect the store's own connections: synchronous is a per-connection setting.
    system = await sqlite_store._system.run(
        lambda c: (c.execute("PRAGMA journal_mode").fetchone()[0],
                   c.execute("PRAGMA synchronous").fetchone()[0])
    )
    workspace = await sqlite_store._files.run(
        "w1", lambda c: (c.execute("PRAGMA journal_mode").fetchone()[0],
                         c.execute("PRAGMA synchronous").fetchone()[0])
    )

    assert system == ("wal", 2)  # 2 == FULL
    assert workspace == ("wal", 2)


async def test_every_call_on_a_file_runs_on_its_one_thread_off_the_event_loop(
    sqlite_store: SQLiteStore,
) -> None:
    await make_workspace(sqlite_store, "w1")

    idents = await asyncio.gather(
        *(sqlite_store._files.run("w1", lambda c: threading.get_ident()) for _ in range(20))
    )

    assert len(set(idents)) == 1
    assert idents[0] != threading.get_ident()


async def test_a_slow_database_call_does_not_block_the_event_loop(
    sqlite_store: SQLiteStore,
) -> None:
    ticks = 0
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await sqlite_store._system.run(lambda c: time.sleep(0.2))
    stop.set()
    await task

    assert ticks > 10


async def test_at_most_max_open_workspace_files_stay_open(sqlite_store: SQLiteStore) -> None:
    for n in range(5):
        await make_workspace(sqlite_store, f"w{n}")
        await sqlite_store.workspace(f"w{n}").apps.put(InstalledApp("crm", str(n), {}, NOW))

    assert sqlite_store.open_workspace_count == 2
    for n in range(5):
        app = await sqlite_store.workspace(f"w{n}").apps.get("crm")
        assert app is not None and app.version == str(n)
    assert sqlite_store.open_workspace_count == 2


async def test_concurrent_use_of_more_workspaces_than_the_cap_loses_nothing(
    sqlite_store: SQLiteStore,
) -> None:
    for n in range(6):
        await make_workspace(sqlite_store, f"w{n}")

    most_open = 0
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal most_open
        while not done.is_set():
            most_open = max(most_open, sqlite_store.open_workspace_count)
            await asyncio.sleep(0)

    sampler = asyncio.create_task(sample())
    await asyncio.gather(
        *(
            sqlite_store.workspace(f"w{n % 6}").memories.put(
                Memory(f"m{n}", "fact", {"n": n}, NOW)
            )
            for n in range(60)
        )
    )
    done.set()
    await sampler

    assert most_open == 2
    counts = [len(await sqlite_store.workspace(f"w{n}").memories.list()) for n in range(6)]
    assert counts == [10] * 6


async def test_a_deleted_workspace_file_is_reported_not_provisioned(
    sqlite_store: SQLiteStore,
) -> None:
    with pytest.raises(WorkspaceNotProvisioned, match="provision"):
        await sqlite_store.workspace("nofile").brains.list()
    assert not (sqlite_store.root / "workspaces" / "nofile.db").exists()


async def test_dropping_a_workspace_removes_its_files(sqlite_store: SQLiteStore) -> None:
    await make_workspace(sqlite_store, "w1")
    await sqlite_store.workspace("w1").apps.put(InstalledApp("crm", "1", {}, NOW))

    await sqlite_store.drop_workspace("w1")

    leftovers = list((sqlite_store.root / "workspaces").glob("w1.db*"))
    assert leftovers == []


async def test_an_old_system_database_is_migrated_on_open(tmp_path: Path) -> None:
    root = tmp_path / "store"
    (root / "workspaces").mkdir(parents=True)
    with _raw(root / "system.db") as conn:
        assert migrate(conn, SYSTEM_MIGRATIONS, where="test", target=1) == 1
        conn.execute(
            "INSERT INTO users (id, email, email_key, display_name, created_at) "
            "VALUES ('u1', 'Ada@example.com', 'ada@example.com', NULL, 0)"
        )
    conn.close()

    store = await open_store(f"sqlite:///{root}", data_dir=tmp_path)
    try:
        user = await store.users.get_by_email("ada@example.com")
        await make_workspace(store, "w1")
    finally:
        await store.aclose()

    assert user is not None and user.email == "Ada@example.com"
    conn = _raw(root / "system.db")
    assert current_version(conn) == len(SYSTEM_MIGRATIONS)
    conn.close()


async def test_an_old_workspace_file_is_migrated_when_first_used(
    sqlite_store: SQLiteStore,
) -> None:
    await make_workspace(sqlite_store, "w1", provision=False)
    path = sqlite_store.root / "workspaces" / "w1.db"
    with _raw(path) as conn:
        migrate(conn, WORKSPACE_MIGRATIONS, where="test", target=1)
        conn.execute(
            "INSERT INTO apps (app_id, version, settings, installed_at) "
            "VALUES ('crm', '1', '{}', 0)"
        )
    conn.close()

    data = sqlite_store.workspace("w1")
    await data.memories.put(Memory("m1", "fact", {}, NOW))

    assert [a.app_id for a in await data.apps.list()] == ["crm"]
    assert len(await data.memories.list()) == 1


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "store"
    root.mkdir()
    with _raw(root / "system.db") as conn:
        current_version(conn)
        conn.execute(
            "INSERT INTO schema_version VALUES (99, 'from the future', datetime('now'))"
        )
    conn.close()

    with pytest.raises(SchemaError, match="newer"):
        await SQLiteStore.open(root)


def test_a_failing_migration_step_leaves_the_previous_version(tmp_path: Path) -> None:
    steps = (
        Migration(1, "ok", ("CREATE TABLE a (x INTEGER)",)),
        Migration(2, "broken", ("CREATE TABLE b (y INTEGER)", "CREATE TABLE a (x INTEGER)")),
    )
    conn = _raw(tmp_path / "x.db")

    with pytest.raises(SchemaError, match="version 2"):
        migrate(conn, steps, where="x.db")

    assert current_version(conn) == 1
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert "b" not in tables
    conn.close()


def test_migrations_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    conn = _raw(tmp_path / "x.db")

    with pytest.raises(SchemaError, match="without gaps"):
        migrate(conn, (Migration(2, "skip", ()),), where="x.db")
    conn.close()


async def test_two_store_instances_on_one_directory_see_each_others_writes(
    tmp_path: Path,
) -> None:
    first = await SQLiteStore.open(tmp_path / "s")
    second = await SQLiteStore.open(tmp_path / "s")
    try:
        await first.users.create(User("u1", "a@example.com", NOW))
        assert await second.users.get("u1") is not None
    finally:
        await first.aclose()
        await second.aclose()


async def test_two_processes_worth_of_connections_race_one_code_and_one_wins(
    tmp_path: Path,
) -> None:
    stores = [await SQLiteStore.open(tmp_path / "s") for _ in range(3)]
    try:
        code = LoginCode("a@example.com", b"h", NOW, NOW + timedelta(minutes=10))
        await stores[0].login_codes.issue(code, min_interval=timedelta(0))

        results = await asyncio.gather(
            *(
                s.login_codes.check("a@example.com", b"h", now=NOW, max_attempts=5)
                for s in stores * 3
            )
        )
    finally:
        for s in stores:
            await s.aclose()

    assert sum(r.outcome is CodeOutcome.ACCEPTED for r in results) == 1
    assert sum(r.outcome is CodeOutcome.MISSING for r in results) == 8
