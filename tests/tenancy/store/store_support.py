"""Helpers for the store tests: a fixed clock value, a workspace maker, and the async shim
over mongomock (test-only; it makes no claim about a real server)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import mongomock

from tenancy.store import Store, Workspace
from tenancy.store.mongodb._driver import CollectionLike

# Ahead of the real clock: mongomock applies TTL indexes against wall time, so records the
# tests date "NOW + a minute" must not expire while a long suite is still running.
NOW = (datetime.now(UTC) + timedelta(hours=6)).replace(microsecond=123456)
TEST_MAX_RECORD_BYTES = 64 * 1024


class _Cursor:
    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self._documents = documents

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        await asyncio.sleep(0)
        return self._documents if length is None else self._documents[:length]


class AsyncMongomockCollection:
    """Async face of a mongomock collection. Each call yields to the event loop first, so
    concurrent operations interleave between calls as they would on a real driver."""

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def find(self, *args: Any, **kwargs: Any) -> _Cursor:
        return _Cursor(list(self._collection.find(*args, **kwargs)))

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._collection, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(0)
            return method(*args, **kwargs)

        return call


class AsyncMongomockDatabase:
    def __init__(self, database: Any) -> None:
        self._database = database

    def __getitem__(self, name: str) -> CollectionLike:
        # Structurally a CollectionLike through __getattr__, which mypy cannot see.
        return cast(CollectionLike, AsyncMongomockCollection(self._database[name]))


class AsyncMongomockClient:
    """The `ClientLike` slice of `AsyncMongoClient` over an in-memory mongomock client."""

    def __init__(self) -> None:
        self.sync: Any = mongomock.MongoClient()
        self.closed = False

    def __getitem__(self, name: str) -> AsyncMongomockDatabase:
        return AsyncMongomockDatabase(self.sync[name])

    async def drop_database(self, name_or_database: str) -> None:
        self.sync.drop_database(name_or_database)

    async def close(self) -> None:
        self.closed = True


async def make_workspace(store: Store, workspace_id: str, *, provision: bool = True) -> Workspace:
    """Create (and provision) a workspace with slug = id."""
    workspace = Workspace(id=workspace_id, slug=workspace_id, name=workspace_id.upper(),
                          created_at=NOW)
    await store.workspaces.create(workspace)
    if provision:
        await store.provision_workspace(workspace_id)
    return workspace
