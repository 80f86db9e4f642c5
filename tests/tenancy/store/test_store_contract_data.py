"""Contract: workspace data (apps, brains and snapshots, memories, threads) and size limits."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta

import pytest
from store_support import NOW, TEST_MAX_RECORD_BYTES, make_workspace

from tenancy.store import (
    BrainRecord,
    BrainSnapshot,
    Conflict,
    InstalledApp,
    InvalidRecord,
    Memory,
    NotFound,
    RecordTooLarge,
    Store,
    Thread,
    ThreadMessage,
    WorkspaceStore,
)

LATER = NOW + timedelta(seconds=1)


@pytest.fixture
async def data(store: Store) -> WorkspaceStore:
    await make_workspace(store, "w1")
    return store.workspace("w1")


def message(n: int, *, thread: str = "t") -> ThreadMessage:
    return ThreadMessage(
        message_id=f"<{thread}{n}@mail.example>", sender="ann@example.com",
        sent_at=NOW + timedelta(minutes=n), body=f"message {n}",
        headers={"In-Reply-To": f"<{thread}{n - 1}@mail.example>"} if n else {},
    )


# ---------------------------------------------------------------- apps


async def test_installing_an_app_keeps_its_settings_verbatim(data: WorkspaceStore) -> None:
    settings = {"$where": "x", "a.b": [1, 2.5, None, True], "nested": {"ü": "ß"}}
    app = InstalledApp("crm", "1.2.0", settings, NOW)

    await data.apps.put(app)

    assert await data.apps.get("crm") == app


async def test_reinstalling_replaces_version_and_settings(data: WorkspaceStore) -> None:
    await data.apps.put(InstalledApp("crm", "1.0", {"a": 1}, NOW))
    await data.apps.put(InstalledApp("crm", "2.0", {"a": 2}, LATER))
    await data.apps.put(InstalledApp("billing", "1.0", {}, NOW))

    assert [(a.app_id, a.version) for a in await data.apps.list()] == [
        ("billing", "1.0"), ("crm", "2.0")
    ]


async def test_uninstalling_reports_whether_it_was_installed(data: WorkspaceStore) -> None:
    await data.apps.put(InstalledApp("crm", "1.0", {}, NOW))

    assert await data.apps.remove("crm") is True
    assert await data.apps.remove("crm") is False
    assert await data.apps.get("crm") is None


async def test_settings_that_are_not_json_are_refused(data: WorkspaceStore) -> None:
    with pytest.raises(InvalidRecord, match="JSON"):
        await data.apps.put(InstalledApp("crm", "1", {"x": object()}, NOW))
    with pytest.raises(InvalidRecord, match="JSON"):
        await data.apps.put(InstalledApp("crm", "1", {"x": float("nan")}, NOW))


# ---------------------------------------------------------------- brains


def brain(n: int, genome: Mapping[str, object] | None = None) -> BrainRecord:
    return BrainRecord(f"b{n}", f"Brain {n}", genome or {"version": "2.0", "n": n},
                       NOW + timedelta(seconds=n), NOW + timedelta(seconds=n))


async def test_brains_are_listed_in_creation_order(data: WorkspaceStore) -> None:
    for n in (2, 1, 3):
        await data.brains.create(brain(n))

    assert [b.id for b in await data.brains.list()] == ["b1", "b2", "b3"]
    assert await data.brains.get("b2") == brain(2)


async def test_a_reused_brain_id_conflicts(data: WorkspaceStore) -> None:
    await data.brains.create(brain(1))

    with pytest.raises(Conflict) as caught:
        await data.brains.create(brain(1))
    assert caught.value.field == "id"


async def test_updating_a_brain_replaces_name_and_genome(data: WorkspaceStore) -> None:
    await data.brains.create(brain(1))
    changed = BrainRecord("b1", "Renamed", {"version": "2.1"}, brain(1).created_at, LATER)

    await data.brains.update(changed)

    assert await data.brains.get("b1") == changed


async def test_updating_a_missing_brain_raises_not_found(data: WorkspaceStore) -> None:
    with pytest.raises(NotFound):
        await data.brains.update(brain(9))


async def test_a_snapshot_round_trips_and_is_replaced_by_the_next(data: WorkspaceStore) -> None:
    await data.brains.create(brain(1))
    payload = bytes(range(256)) * 4

    await data.brains.save_snapshot(BrainSnapshot("b1", b"old", 10, NOW))
    await data.brains.save_snapshot(BrainSnapshot("b1", payload, 20, LATER))

    assert await data.brains.load_snapshot("b1") == BrainSnapshot("b1", payload, 20, LATER)


async def test_a_snapshot_of_a_missing_brain_is_refused(data: WorkspaceStore) -> None:
    with pytest.raises(NotFound):
        await data.brains.save_snapshot(BrainSnapshot("ghost", b"x", 0, NOW))
    assert await data.brains.load_snapshot("ghost") is None


async def test_deleting_a_brain_deletes_its_snapshot(data: WorkspaceStore) -> None:
    await data.brains.create(brain(1))
    await data.brains.save_snapshot(BrainSnapshot("b1", b"state", 1, NOW))

    assert await data.brains.delete("b1") is True

    assert await data.brains.get("b1") is None
    assert await data.brains.load_snapshot("b1") is None
    assert await data.brains.delete("b1") is False


async def test_a_genome_over_the_record_limit_is_refused(data: WorkspaceStore) -> None:
    huge = {"blob": "x" * TEST_MAX_RECORD_BYTES}

    with pytest.raises(RecordTooLarge, match="brain genome"):
        await data.brains.create(brain(1, huge))
    assert await data.brains.get("b1") is None


async def test_a_genome_at_the_record_limit_is_accepted(data: WorkspaceStore) -> None:
    overhead = len('{"blob":""}')
    exact = {"blob": "x" * (TEST_MAX_RECORD_BYTES - overhead)}

    await data.brains.create(brain(1, exact))

    stored = await data.brains.get("b1")
    assert stored is not None and stored.genome == exact


async def test_a_snapshot_over_the_record_limit_is_refused(data: WorkspaceStore) -> None:
    await data.brains.create(brain(1))

    with pytest.raises(RecordTooLarge, match="snapshot"):
        await data.brains.save_snapshot(
            BrainSnapshot("b1", b"x" * (TEST_MAX_RECORD_BYTES + 1), 0, NOW)
        )


# ---------------------------------------------------------------- memories


async def test_memories_filter_by_kind_and_brain_oldest_first(data: WorkspaceStore) -> None:
    await data.memories.put(Memory("m3", "fact", {"n": 3}, NOW + timedelta(3), "b1"))
    await data.memories.put(Memory("m1", "fact", {"n": 1}, NOW + timedelta(1), "b2"))
    await data.memories.put(Memory("m2", "episode", {"n": 2}, NOW + timedelta(2), "b1"))

    assert [m.id for m in await data.memories.list()] == ["m1", "m2", "m3"]
    assert [m.id for m in await data.memories.list(kind="fact")] == ["m1", "m3"]
    assert [m.id for m in await data.memories.list(brain_id="b1")] == ["m2", "m3"]
    assert [m.id for m in await data.memories.list(kind="fact", brain_id="b1")] == ["m3"]
    assert [m.id for m in await data.memories.list(limit=2)] == ["m1", "m2"]


async def test_putting_a_memory_again_replaces_it(data: WorkspaceStore) -> None:
    await data.memories.put(Memory("m1", "fact", {"v": 1}, NOW))
    await data.memories.put(Memory("m1", "fact", {"v": 2}, NOW))

    assert await data.memories.get("m1") == Memory("m1", "fact", {"v": 2}, NOW)
    assert await data.memories.delete("m1") is True
    assert await data.memories.get("m1") is None


async def test_a_list_limit_outside_bounds_is_refused(data: WorkspaceStore) -> None:
    for bad in (0, -1, 10_001):
        with pytest.raises(InvalidRecord, match="limit"):
            await data.memories.list(limit=bad)
        with pytest.raises(InvalidRecord, match="limit"):
            await data.threads.list(limit=bad)


# ---------------------------------------------------------------- threads


async def test_a_thread_keeps_its_messages_in_order(data: WorkspaceStore) -> None:
    thread = Thread("t1", "Hello", ("ann@example.com", "bot@example.com"), NOW,
                    (message(0), message(1)))

    await data.threads.create(thread)
    appended = await data.threads.append("t1", message(2))

    assert appended.messages == (message(0), message(1), message(2))
    assert await data.threads.get("t1") == appended


async def test_a_reply_finds_its_thread_by_message_id(data: WorkspaceStore) -> None:
    await data.threads.create(Thread("t1", "A", (), NOW, (message(0),)))
    await data.threads.create(Thread("t2", "B", (), LATER, (message(0, thread="u"),)))

    found = await data.threads.find_by_message_id("<u0@mail.example>")

    assert found is not None and found.id == "t2"
    assert await data.threads.find_by_message_id("<nope@x>") is None
    assert [t.id for t in await data.threads.list()] == ["t1", "t2"]
    assert [t.id for t in await data.threads.list(limit=1)] == ["t1"]


async def test_a_message_id_is_stored_once_per_workspace(data: WorkspaceStore) -> None:
    await data.threads.create(Thread("t1", "A", (), NOW, (message(0),)))
    await data.threads.create(Thread("t2", "B", (), NOW))

    with pytest.raises(Conflict) as on_append:
        await data.threads.append("t2", message(0))
    with pytest.raises(Conflict) as on_create:
        await data.threads.create(Thread("t3", "C", (), NOW, (message(5), message(0))))

    assert on_append.value.field == on_create.value.field == "message_id"
    assert await data.threads.get("t3") is None
    assert await data.threads.find_by_message_id("<t5@mail.example>") is None
    t2 = await data.threads.get("t2")
    assert t2 is not None and t2.messages == ()


async def test_concurrent_appends_of_one_message_store_it_once(data: WorkspaceStore) -> None:
    await data.threads.create(Thread("t1", "A", (), NOW))

    results = await asyncio.gather(
        *(data.threads.append("t1", message(1)) for _ in range(4)), return_exceptions=True
    )

    assert sum(isinstance(r, Thread) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 3
    stored = await data.threads.get("t1")
    assert stored is not None and stored.messages == (message(1),)


async def test_appending_to_a_missing_thread_raises_not_found(data: WorkspaceStore) -> None:
    with pytest.raises(NotFound):
        await data.threads.append("ghost", message(1))
    assert await data.threads.find_by_message_id("<t1@mail.example>") is None


async def test_deleting_a_thread_frees_its_message_ids(data: WorkspaceStore) -> None:
    await data.threads.create(Thread("t1", "A", (), NOW, (message(0),)))

    assert await data.threads.delete("t1") is True
    await data.threads.create(Thread("t2", "B", (), NOW, (message(0),)))

    found = await data.threads.find_by_message_id("<t0@mail.example>")
    assert found is not None and found.id == "t2"


async def test_a_message_over_the_record_limit_is_refused(data: WorkspaceStore) -> None:
    await data.threads.create(Thread("t1", "A", (), NOW))
    big = ThreadMessage("<big@x>", "a@x", NOW, "x" * (TEST_MAX_RECORD_BYTES + 1))

    with pytest.raises(RecordTooLarge, match="thread message"):
        await data.threads.append("t1", big)
    assert await data.threads.find_by_message_id("<big@x>") is None
