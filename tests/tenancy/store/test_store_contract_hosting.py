"""Contract: brain hosting fields of brain records, FEAGI API keys and the brain directory."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from store_support import NOW, make_workspace

from tenancy.store import (
    BrainRecord,
    Conflict,
    FeagiKey,
    InvalidRecord,
    NotFound,
    SQLiteStore,
    Store,
)
from tenancy.store.sqlite.schema import WORKSPACE_MIGRATIONS, migrate

LATER = NOW + timedelta(seconds=1)


def key_hash(n: int) -> bytes:
    return hashlib.sha256(f"key-{n}".encode()).digest()


def brain(**changes: object) -> BrainRecord:
    fields: dict[str, object] = {
        "id": "b1", "name": "B", "genome": {"version": "2.0"}, "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(changes)
    return BrainRecord(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- brain records


async def test_hosting_fields_of_a_brain_round_trip(store: Store) -> None:
    await make_workspace(store, "w1")
    record = brain(frequency_hz=12.5, desired_state="running", seed=2**62, cortical_area_count=7,
                   neuron_count=700, synapse_count=9000, burst_count=123456)

    await store.workspace("w1").brains.create(record)

    assert await store.workspace("w1").brains.get("b1") == record


async def test_a_new_brain_defaults_to_stopped_at_the_host_frequency(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.workspace("w1").brains.create(brain())

    got = await store.workspace("w1").brains.get("b1")

    assert got is not None
    assert (got.frequency_hz, got.desired_state, got.seed, got.burst_count) == (
        None, "stopped", 0, 0
    )


async def test_updating_a_brain_replaces_its_hosting_fields(store: Store) -> None:
    await make_workspace(store, "w1")
    repo = store.workspace("w1").brains
    await repo.create(brain())
    changed = brain(name="C", updated_at=LATER, frequency_hz=50.0, desired_state="paused",
                    neuron_count=3, burst_count=99)

    await repo.update(changed)

    assert await repo.get("b1") == changed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"frequency_hz": 0.0}, "frequency_hz"),
        ({"frequency_hz": float("nan")}, "frequency_hz"),
        ({"desired_state": "dancing"}, "desired_state"),
        ({"seed": -1}, "seed"),
        ({"neuron_count": -5}, "neuron_count"),
        ({"burst_count": 1.5}, "burst_count"),
    ],
)
def test_a_brain_record_with_bad_hosting_fields_is_refused(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidRecord, match=message):
        brain(**changes)


# ---------------------------------------------------------------- FEAGI keys


async def test_a_created_key_resolves_by_its_hash(store: Store) -> None:
    await make_workspace(store, "w1")
    key = FeagiKey(key_hash(1), "w1", "b1", NOW)

    await store.feagi_keys.create(key)

    assert await store.feagi_keys.resolve(key_hash(1)) == key
    assert await store.feagi_keys.resolve(key_hash(2)) is None


async def test_a_revoked_key_no_longer_resolves_but_is_still_listed(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.feagi_keys.create(FeagiKey(key_hash(1), "w1", "b1", NOW))

    assert await store.feagi_keys.revoke(key_hash(1)) is True
    assert await store.feagi_keys.revoke(key_hash(1)) is False

    assert await store.feagi_keys.resolve(key_hash(1)) is None
    listed = await store.feagi_keys.list_for_brain("w1", "b1")
    assert [(k.key_hash, k.revoked) for k in listed] == [(key_hash(1), True)]


async def test_keys_are_listed_per_brain_oldest_first(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")
    await store.feagi_keys.create(FeagiKey(key_hash(2), "w1", "b1", LATER))
    await store.feagi_keys.create(FeagiKey(key_hash(1), "w1", "b1", NOW))
    await store.feagi_keys.create(FeagiKey(key_hash(3), "w1", "b2", NOW))
    await store.feagi_keys.create(FeagiKey(key_hash(4), "w2", "b1", NOW))

    listed = await store.feagi_keys.list_for_brain("w1", "b1")

    assert [k.key_hash for k in listed] == [key_hash(1), key_hash(2)]


async def test_deleting_a_brains_keys_leaves_other_brains_keys(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.feagi_keys.create(FeagiKey(key_hash(1), "w1", "b1", NOW))
    await store.feagi_keys.create(FeagiKey(key_hash(2), "w1", "b1", NOW))
    await store.feagi_keys.create(FeagiKey(key_hash(3), "w1", "b2", NOW))

    assert await store.feagi_keys.delete_for_brain("w1", "b1") == 2

    assert await store.feagi_keys.resolve(key_hash(1)) is None
    assert await store.feagi_keys.resolve(key_hash(3)) is not None


async def test_a_duplicate_key_hash_conflicts(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.feagi_keys.create(FeagiKey(key_hash(1), "w1", "b1", NOW))

    with pytest.raises(Conflict) as caught:
        await store.feagi_keys.create(FeagiKey(key_hash(1), "w1", "b2", NOW))
    assert caught.value.field == "key_hash"


async def test_a_key_for_an_unknown_workspace_is_refused(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.feagi_keys.create(FeagiKey(key_hash(1), "nope", "b1", NOW))


async def test_dropping_a_workspace_drops_its_keys_and_directory(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.feagi_keys.create(FeagiKey(key_hash(1), "w1", "b1", NOW))
    await store.brain_directory.add("b1", "w1")

    await store.drop_workspace("w1")

    assert await store.feagi_keys.resolve(key_hash(1)) is None
    assert await store.brain_directory.workspace_of("b1") is None


def test_a_feagi_key_must_be_a_hash() -> None:
    with pytest.raises(InvalidRecord, match="key_hash"):
        FeagiKey(b"short", "w1", "b1", NOW)


# ---------------------------------------------------------------- brain directory


async def test_the_directory_maps_a_brain_to_its_workspace(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.brain_directory.add("b1", "w1")
    await store.brain_directory.add("b1", "w1")  # idempotent

    assert await store.brain_directory.workspace_of("b1") == "w1"
    assert await store.brain_directory.workspace_of("b2") is None
    assert await store.brain_directory.remove("b1") is True
    assert await store.brain_directory.remove("b1") is False
    assert await store.brain_directory.workspace_of("b1") is None


async def test_a_brain_id_cannot_live_in_two_workspaces(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")
    await store.brain_directory.add("b1", "w1")

    with pytest.raises(Conflict) as caught:
        await store.brain_directory.add("b1", "w2")
    assert caught.value.field == "brain_id"
    assert await store.brain_directory.workspace_of("b1") == "w1"


# ---------------------------------------------------------------- SQLite migration


async def test_a_brain_stored_before_hosting_fields_reads_back_with_defaults(
    tmp_path: Path,
) -> None:
    import sqlite3

    store = await SQLiteStore.open(tmp_path / "store")
    try:
        await make_workspace(store, "w1", provision=False)
        path = store.root / "workspaces" / "w1.db"
        conn = sqlite3.connect(path, isolation_level=None)
        migrate(conn, WORKSPACE_MIGRATIONS, where="test", target=2)
        conn.execute(
            "INSERT INTO brains (id, name, genome, created_at, updated_at) "
            "VALUES ('old', 'Old', '{\"version\": \"2.0\"}', 0, 0)"
        )
        conn.close()

        got = await store.workspace("w1").brains.get("old")
    finally:
        await store.aclose()

    assert got is not None
    assert got.genome == {"version": "2.0"}
    assert (got.desired_state, got.frequency_hz, got.neuron_count) == ("stopped", None, 0)


# ---------------------------------------------------------------- MongoDB old documents


async def test_a_mongodb_brain_document_without_hosting_fields_reads_with_defaults() -> None:
    from store_support import AsyncMongomockClient

    from tenancy.store import MongoStore

    client = AsyncMongomockClient()
    store = await MongoStore.open(client, database="bh")
    await make_workspace(store, "w1")
    await store.workspace("w1").brains.create(brain())
    client.sync["bh"]["brains"].update_one(
        {"id": "b1"},
        {"$unset": {"frequency_hz": "", "desired_state": "", "seed": "", "neuron_count": "",
                    "synapse_count": "", "cortical_area_count": "", "burst_count": ""}},
    )

    got = await store.workspace("w1").brains.get("b1")

    assert got == brain()
