"""Contract: the running-brain index (`Store.running_brains`) follows brains' desired_state,
and stores written before it existed are indexed on first use."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import NOW, AsyncMongomockClient, make_workspace

from tenancy.store import (
    BrainRecord,
    BrainState,
    InvalidRecord,
    MongoStore,
    NotFound,
    RunningBrain,
    SQLiteStore,
    Store,
)
from tenancy.store.sqlite.schema import SYSTEM_MIGRATIONS, WORKSPACE_MIGRATIONS, migrate

LATER = NOW + timedelta(seconds=1)


def brain(brain_id: str = "b1", state: BrainState = "stopped") -> BrainRecord:
    return BrainRecord(id=brain_id, name="B", genome={"version": "2.0"}, created_at=NOW,
                       updated_at=NOW, desired_state=state)


async def running(store: Store) -> list[tuple[str, str]]:
    return [(e.workspace_id, e.brain_id) for e in await store.running_brains.list()]


async def test_a_brain_created_running_is_listed_and_a_stopped_one_is_not(store: Store) -> None:
    await make_workspace(store, "w1")
    repo = store.workspace("w1").brains

    await repo.create(brain("b1", "running"))
    await repo.create(brain("b2", "stopped"))

    assert await running(store) == [("w1", "b1")]


async def test_starting_a_brain_lists_it(store: Store) -> None:
    await make_workspace(store, "w1")
    repo = store.workspace("w1").brains
    await repo.create(brain())

    await repo.update(brain(state="running"))

    assert await running(store) == [("w1", "b1")]


@pytest.mark.parametrize("state", ["stopped", "paused"])
async def test_a_brain_no_longer_running_is_not_listed(store: Store, state: BrainState) -> None:
    await make_workspace(store, "w1")
    repo = store.workspace("w1").brains
    await repo.create(brain(state="running"))

    await repo.update(brain(state=state))

    assert await running(store) == []


async def test_saving_a_running_brain_again_keeps_one_entry(store: Store) -> None:
    await make_workspace(store, "w1")
    repo = store.workspace("w1").brains
    await repo.create(brain(state="running"))

    await repo.update(brain(state="running"))
    await repo.update(brain(state="running"))

    assert await running(store) == [("w1", "b1")]


async def test_updating_a_missing_brain_to_running_lists_nothing(store: Store) -> None:
    await make_workspace(store, "w1")

    with pytest.raises(NotFound):
        await store.workspace("w1").brains.update(brain(state="running"))

    assert await running(store) == []


async def test_deleting_a_running_brain_unlists_it(store: Store) -> None:
    await make_workspace(store, "w1")
    repo = store.workspace("w1").brains
    await repo.create(brain(state="running"))

    await repo.delete("b1")

    assert await running(store) == []


async def test_dropping_a_workspace_unlists_its_brains_only(store: Store) -> None:
    for ws in ("w1", "w2"):
        await make_workspace(store, ws)
        await store.workspace(ws).brains.create(brain(f"{ws}b", "running"))

    await store.drop_workspace("w1")

    assert await running(store) == [("w2", "w2b")]


async def test_entries_are_listed_by_workspace_then_brain_in_keyset_pages(store: Store) -> None:
    for ws in ("w2", "w1", "w1-x"):
        await make_workspace(store, ws)
        for brain_id in ("b2", "b1"):
            await store.workspace(ws).brains.create(brain(brain_id, "running"))
    index = store.running_brains

    first = await index.list(limit=3)
    second = await index.list(after=first[-1], limit=3)
    rest = await index.list(after=second[-1], limit=3)

    assert [(e.workspace_id, e.brain_id) for e in first + second] == [
        ("w1", "b1"), ("w1", "b2"), ("w1-x", "b1"), ("w1-x", "b2"), ("w2", "b1"), ("w2", "b2"),
    ]
    assert rest == []


async def test_a_listing_limit_outside_1_to_10000_is_refused(store: Store) -> None:
    with pytest.raises(InvalidRecord, match="limit"):
        await store.running_brains.list(limit=0)


def test_running_brain_entries_order_like_their_listing() -> None:
    assert sorted([RunningBrain("w2", "a"), RunningBrain("w1", "b"), RunningBrain("w1", "a")]) == [
        RunningBrain("w1", "a"), RunningBrain("w1", "b"), RunningBrain("w2", "a"),
    ]


# ---------------------------------------------------------------- stores from before the index


def _old_sqlite_store(root: Path, brains: dict[str, BrainState]) -> None:
    """A data directory as the version before the index wrote it: system schema 3, one
    workspace ``w1`` holding `brains`."""
    (root / "workspaces").mkdir(parents=True)
    system = sqlite3.connect(root / "system.db", isolation_level=None)
    migrate(system, SYSTEM_MIGRATIONS, where="test", target=3)
    system.execute("INSERT INTO workspaces (id, slug, name, created_at) VALUES "
                   "('w1', 'w1', 'W1', 0)")
    system.close()
    workspace = sqlite3.connect(root / "workspaces" / "w1.db", isolation_level=None)
    migrate(workspace, WORKSPACE_MIGRATIONS, where="test")
    for brain_id, state in brains.items():
        _write_brain(workspace, brain_id, state)
    workspace.close()


def _write_brain(conn: sqlite3.Connection, brain_id: str, state: BrainState) -> None:
    conn.execute(
        "INSERT INTO brains (id, name, genome, created_at, updated_at, desired_state) "
        "VALUES (?, 'B', '{}', 0, 0, ?)",
        (brain_id, state),
    )


async def test_an_upgraded_sqlite_store_lists_the_brains_running_before(tmp_path: Path) -> None:
    root = tmp_path / "store"
    _old_sqlite_store(root, {"on": "running", "off": "stopped", "held": "paused"})

    store = await SQLiteStore.open(root)
    try:
        listed = await running(store)
    finally:
        await store.aclose()

    assert listed == [("w1", "on")]


async def test_an_upgraded_sqlite_store_reads_the_workspace_files_only_once(
    tmp_path: Path,
) -> None:
    root = tmp_path / "store"
    _old_sqlite_store(root, {"on": "running"})
    first = await SQLiteStore.open(root)
    await first.running_brains.list()
    await first.aclose()
    # Written behind the store's back: only a second scan of the files would find it.
    conn = sqlite3.connect(root / "workspaces" / "w1.db", isolation_level=None)
    _write_brain(conn, "unindexed", "running")
    conn.close()

    second = await SQLiteStore.open(root)
    try:
        listed = await running(second)
    finally:
        await second.aclose()

    assert listed == [("w1", "on")]


@pytest.mark.parametrize("db_per_workspace", [False, True], ids=["shared", "db-per-workspace"])
async def test_a_mongodb_store_from_before_the_index_lists_the_brains_running_before(
    db_per_workspace: bool,
) -> None:
    client = AsyncMongomockClient()
    old = await MongoStore.open(client, database="bh", db_per_workspace=db_per_workspace)
    await make_workspace(old, "w1")
    await old.workspace("w1").brains.create(brain("on", "running"))
    await old.workspace("w1").brains.create(brain("off", "stopped"))
    # What the version before the index left behind: no entries, no backfill recorded.
    client.sync["bh"].drop_collection("running_brains")
    client.sync["bh"].drop_collection("store_backfills")

    upgraded = await MongoStore.open(client, database="bh", db_per_workspace=db_per_workspace)

    assert await running(upgraded) == [("w1", "on")]
