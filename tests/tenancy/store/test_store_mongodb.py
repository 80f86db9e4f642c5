"""MongoDB adapter specifics: indexes (unique, TTL) and the two data layouts.

These run through the mongomock shim (query semantics only); with
``BRAINHOST_TEST_MONGODB_URL`` set the contract suite also runs on a real server.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from store_support import NOW, AsyncMongomockClient, make_workspace

from tenancy.store import BrainRecord, InstalledApp, LoginCode, MongoStore


@pytest.fixture
def client() -> AsyncMongomockClient:
    return AsyncMongomockClient()


def test_the_real_server_contract_run_is_configured() -> None:
    if not os.environ.get("BRAINHOST_TEST_MONGODB_URL"):
        pytest.skip(
            "BRAINHOST_TEST_MONGODB_URL not set: the contract suite ran on SQLite and mongomock "
            "(query semantics) only, not on a MongoDB server"
        )


async def test_unique_and_ttl_indexes_are_created(client: AsyncMongomockClient) -> None:
    await MongoStore.open(client, database="bh")

    db = client.sync["bh"]
    users = db["users"].index_information()
    codes = db["login_codes"].index_information()
    workspaces = db["workspaces"].index_information()
    members = db["members"].index_information()
    assert users["users_email"]["unique"] is True
    assert codes["login_codes_ttl"]["expireAfterSeconds"] == 0
    assert codes["login_codes_ttl"]["key"] == [("expires_at", 1)]
    assert workspaces["workspaces_slug"]["unique"] is True
    assert members["members_seat"]["key"] == [("workspace_id", 1), ("user_id", 1)]
    assert members["members_seat"]["unique"] is True
    assert "revoked_ttl" in db["revoked_tokens"].index_information()


async def test_login_codes_carry_a_bson_date_for_the_ttl_monitor(
    client: AsyncMongomockClient,
) -> None:
    store = await MongoStore.open(client, database="bh")
    await store.login_codes.issue(
        LoginCode("a@example.com", b"h", NOW, NOW + timedelta(minutes=10)),
        min_interval=timedelta(minutes=1),
    )

    document = client.sync["bh"]["login_codes"].find_one({"_id": "a@example.com"})
    assert document is not None
    expires = document["expires_at"]
    assert isinstance(expires, datetime)
    # BSON dates hold milliseconds; the exact value lives in expires_at_us.
    assert abs(expires.replace(tzinfo=UTC) - (NOW + timedelta(minutes=10))) < timedelta(
        milliseconds=1
    )


async def test_shared_layout_keys_workspace_documents_by_workspace_id(
    client: AsyncMongomockClient,
) -> None:
    store = await MongoStore.open(client, database="bh")
    await make_workspace(store, "w1")
    await store.workspace("w1").brains.create(BrainRecord("b1", "B", {}, NOW, NOW))

    documents = list(client.sync["bh"]["brains"].find())
    assert [d["workspace_id"] for d in documents] == ["w1"]
    assert "bh_w_w1" not in client.sync.list_database_names()


async def test_db_per_workspace_layout_gives_each_workspace_a_database_and_drops_it(
    client: AsyncMongomockClient,
) -> None:
    store = await MongoStore.open(client, database="bh", db_per_workspace=True)
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")
    await store.workspace("w1").apps.put(InstalledApp("crm", "1", {}, NOW))
    await store.workspace("w2").apps.put(InstalledApp("crm", "1", {}, NOW))

    assert client.sync["bh_w_w1"]["apps"].count_documents({}) == 1
    assert client.sync["bh"]["apps"].count_documents({}) == 0
    await store.drop_workspace("w1")

    assert "bh_w_w1" not in client.sync.list_database_names()
    assert client.sync["bh_w_w2"]["apps"].count_documents({}) == 1


async def test_closing_the_store_closes_the_client(client: AsyncMongomockClient) -> None:
    store = await MongoStore.open(client, database="bh")

    await store.aclose()

    assert client.closed
