"""`open_store`: build the store named by a URL (``BRAINHOST_STORE``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tenancy.store._codec import DEFAULT_MAX_RECORD_BYTES
from tenancy.store.errors import InvalidStoreURL
from tenancy.store.protocols import Store
from tenancy.store.sqlite.store import SQLiteStore
from tenancy.store.url import SQLiteLocation, parse_store_url, redact_url

if TYPE_CHECKING:
    from tenancy.store.mongodb._driver import ClientLike

__all__ = ["open_store"]


async def open_store(
    url: str,
    *,
    data_dir: Path,
    mongo_db_per_workspace: bool = False,
    max_open_workspaces: int = 64,
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    mongo_timeout_s: float = 5.0,
) -> Store:
    """Open the store at `url`, creating schemas/indexes as needed.

    - ``sqlite:///<dir>``: files under `<dir>` (relative to `data_dir`), at most
      `max_open_workspaces` workspace files open at once.
    - ``mongodb://host/<db>``: system collections in `<db>`; with `mongo_db_per_workspace`
      each workspace's data lives in ``<db>_w_<workspace id>``. `mongo_timeout_s` bounds
      server selection.

    Every JSON field, blob or message is limited to `max_record_bytes`. Raises
    `InvalidStoreURL` for a bad URL, `StoreUnavailable` when the backend cannot be reached,
    `SchemaError` when an SQLite file is newer than this code. Close with ``await
    store.aclose()``.
    """
    location = parse_store_url(url, data_dir=data_dir)
    if isinstance(location, SQLiteLocation):
        if mongo_db_per_workspace:
            raise InvalidStoreURL(
                "BRAINHOST_MONGO_DB_PER_WORKSPACE applies to MongoDB stores only; the SQLite "
                "store already keeps one file per workspace (unset it or use a mongodb:// URL)"
            )
        return await SQLiteStore.open(
            location.root,
            max_open_workspaces=max_open_workspaces,
            max_record_bytes=max_record_bytes,
        )
    # Imported here: pymongo and the TLS stack it loads cost a tenth of a second of start-up
    # that a service on SQLite has no use for.
    from pymongo import AsyncMongoClient
    from pymongo.errors import ConfigurationError

    from tenancy.store.mongodb.store import MongoStore

    try:
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
            location.url,
            tz_aware=True,
            serverSelectionTimeoutMS=int(mongo_timeout_s * 1000),
            connect=False,
        )
    except ConfigurationError as exc:
        raise InvalidStoreURL(f"store URL {redact_url(url)!r} is not usable: {exc}") from exc
    driver: ClientLike = client
    try:
        return await MongoStore.open(
            driver,
            database=location.database,
            db_per_workspace=mongo_db_per_workspace,
            max_record_bytes=max_record_bytes,
        )
    except BaseException:
        await client.close()
        raise
