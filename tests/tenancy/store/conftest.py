"""Fixtures for the store contract suite: one `store` fixture parametrised over adapters.

Adapters and what each run proves:
- ``sqlite``: the real SQLite adapter on real files.
- ``mongomock-query-semantics[-db-per-workspace]``: the real MongoDB adapter code driven
  through a thin async shim over mongomock. It checks the adapter's queries, updates and
  unique-index arbitration; it is NOT a server check (no wire protocol, no TTL monitor).
- ``mongodb-server[-db-per-workspace]``: a real server, only when
  ``BRAINHOST_TEST_MONGODB_URL`` is set (skipped otherwise).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from store_support import TEST_MAX_RECORD_BYTES, AsyncMongomockClient

from tenancy.store import MongoStore, Store, open_store

MONGODB_URL = os.environ.get("BRAINHOST_TEST_MONGODB_URL", "")


ADAPTERS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("mongomock", id="mongomock-query-semantics"),
    pytest.param("mongomock-db-per-workspace", id="mongomock-query-semantics-db-per-workspace"),
]
if MONGODB_URL:
    ADAPTERS += [
        pytest.param("mongodb", id="mongodb-server"),
        pytest.param("mongodb-db-per-workspace", id="mongodb-server-db-per-workspace"),
    ]


OpenStore = Callable[..., Awaitable[Store]]


@pytest.fixture(params=ADAPTERS)
async def open_adapter(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[OpenStore]:
    """A factory opening the parametrised adapter (same data on every call); closes them all."""
    kind: str = request.param
    opened: list[Store] = []
    mock_client = AsyncMongomockClient()
    server_db = f"bht{uuid.uuid4().hex[:8]}"

    async def open_one(*, max_record_bytes: int = TEST_MAX_RECORD_BYTES) -> Store:
        store: Store
        if kind == "sqlite":
            store = await open_store(
                "sqlite:///store", data_dir=tmp_path, max_record_bytes=max_record_bytes,
                max_open_workspaces=4,
            )
        elif kind.startswith("mongomock"):
            store = await MongoStore.open(
                mock_client,
                database="brainhost",
                db_per_workspace=kind.endswith("db-per-workspace"),
                max_record_bytes=max_record_bytes,
            )
        else:
            store = await open_store(
                urlsplit(MONGODB_URL)._replace(path=f"/{server_db}").geturl(),
                data_dir=tmp_path,
                mongo_db_per_workspace=kind.endswith("db-per-workspace"),
                max_record_bytes=max_record_bytes,
            )
        opened.append(store)
        return store

    yield open_one
    for store in opened:
        await store.aclose()
    if kind.startswith("mongodb"):
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(MONGODB_URL)
        for name in await client.list_database_names():
            if name.startswith(server_db):
                await client.drop_database(name)
        await client.close()


@pytest.fixture
async def store(open_adapter: OpenStore) -> Store:
    """A fresh store of the parametrised adapter."""
    return await open_adapter()
