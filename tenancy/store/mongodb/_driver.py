"""The slice of pymongo's async API the adapter uses, and one place that translates its errors.

The adapter is written against these Protocols rather than pymongo's classes: pymongo's
`AsyncMongoClient` satisfies them (checked by mypy where the adapter builds one), and so does
a test-only shim over mongomock, which lets the contract suite check the adapter's query
semantics without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from pymongo.errors import (
    ConnectionFailure,
    DocumentTooLarge,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
)

from tenancy.store.errors import Conflict, RecordTooLarge, StoreError, StoreUnavailable

Document = dict[str, Any]
IndexKeys = Sequence[tuple[str, int]]

_TOO_LARGE_CODES = frozenset({10334, 17419, 17420})


class UpdateResultLike(Protocol):
    @property
    def matched_count(self) -> int: ...


class DeleteResultLike(Protocol):
    @property
    def deleted_count(self) -> int: ...


class CursorLike(Protocol):
    async def to_list(self, length: int | None = None) -> list[Document]: ...


class CollectionLike(Protocol):
    """The collection methods the adapter calls (a subset of `AsyncCollection`)."""

    def find(self, *args: Any, **kwargs: Any) -> CursorLike: ...

    async def find_one(self, filter: Any | None = None, *args: Any, **kwargs: Any) -> Any: ...

    async def insert_one(self, document: Document) -> object: ...

    async def replace_one(
        self, filter: Mapping[str, Any], replacement: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResultLike: ...

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], upsert: bool = False
    ) -> UpdateResultLike: ...

    async def update_many(
        self, filter: Mapping[str, Any], update: Mapping[str, Any]
    ) -> UpdateResultLike: ...

    async def find_one_and_update(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        projection: Any = None,
        sort: Any = None,
        upsert: bool = False,
        return_document: bool = False,
    ) -> Any: ...

    async def find_one_and_delete(self, filter: Mapping[str, Any]) -> Any: ...

    async def delete_one(self, filter: Mapping[str, Any]) -> DeleteResultLike: ...

    async def delete_many(self, filter: Mapping[str, Any]) -> DeleteResultLike: ...

    async def count_documents(self, filter: Mapping[str, Any]) -> int: ...

    async def create_index(self, keys: Any, **kwargs: Any) -> str: ...


class DatabaseLike(Protocol):
    def __getitem__(self, name: str) -> CollectionLike: ...


class ClientLike(Protocol):
    """The client methods the adapter calls (a subset of `AsyncMongoClient`)."""

    def __getitem__(self, name: str) -> DatabaseLike: ...

    async def drop_database(self, name_or_database: str) -> None: ...

    async def close(self) -> None: ...


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Re-raise pymongo errors as store errors (`Conflict` for duplicate keys).

    Messages name the operation, never the connection string (it may carry a password).
    """
    try:
        yield
    except DuplicateKeyError as exc:
        raise Conflict(f"{what}: a record with this key already exists") from exc
    except DocumentTooLarge as exc:
        raise RecordTooLarge(f"{what}: document exceeds MongoDB's 16 MiB limit") from exc
    except ConnectionFailure as exc:
        raise StoreUnavailable(f"{what}: MongoDB is unreachable ({type(exc).__name__})") from exc
    except OperationFailure as exc:
        if exc.code in _TOO_LARGE_CODES:
            raise RecordTooLarge(f"{what}: document exceeds MongoDB's 16 MiB limit") from exc
        raise StoreError(f"{what}: MongoDB refused the operation: {exc}") from exc
    except PyMongoError as exc:
        raise StoreError(f"{what}: {exc}") from exc


def _always_open() -> None:
    return None


class Collection:
    """A collection whose calls raise only store errors.

    `ensure_open` runs before every call (the owning store raises `StoreClosed` there once
    closed, instead of whatever the driver does with a closed client).
    """

    def __init__(
        self,
        collection: CollectionLike,
        name: str,
        ensure_open: Callable[[], None] = _always_open,
    ) -> None:
        self._c = collection
        self.name = name
        self._ensure_open = ensure_open

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        self._ensure_open()
        with translated(f"{what} {self.name}"):
            yield

    async def find(
        self,
        filter: Mapping[str, Any],
        *,
        sort: IndexKeys | None = None,
        limit: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]:
        with self._calling("reading"):
            cursor = self._c.find(
                filter, projection=projection, sort=list(sort) if sort else None, limit=limit
            )
            return await cursor.to_list(None)

    async def find_one(
        self, filter: Mapping[str, Any], *, projection: Mapping[str, Any] | None = None
    ) -> Document | None:
        """The first matching document (only the `projection` fields when given), or None."""
        with self._calling("reading"):
            found: Document | None = await self._c.find_one(filter, projection=projection)
            return found

    async def insert_one(self, document: Document) -> None:
        with self._calling("writing"):
            await self._c.insert_one(document)

    async def replace_one(
        self, filter: Mapping[str, Any], replacement: Document, *, upsert: bool = False
    ) -> int:
        with self._calling("writing"):
            return (await self._c.replace_one(filter, replacement, upsert=upsert)).matched_count

    async def update_one(
        self, filter: Mapping[str, Any], update: Mapping[str, Any], *, upsert: bool = False
    ) -> int:
        with self._calling("writing"):
            return (await self._c.update_one(filter, update, upsert=upsert)).matched_count

    async def update_many(self, filter: Mapping[str, Any], update: Mapping[str, Any]) -> int:
        with self._calling("writing"):
            return (await self._c.update_many(filter, update)).matched_count

    async def find_one_and_update(
        self,
        filter: Mapping[str, Any],
        update: Mapping[str, Any],
        *,
        projection: Mapping[str, Any] | None = None,
        before: bool = False,
    ) -> Document | None:
        """Apply `update` to one matching document and return it as updated (as it was with
        `before`; only the `projection` fields when given)."""
        with self._calling("writing"):
            # pymongo's ReturnDocument.AFTER is True, BEFORE is False.
            found: Document | None = await self._c.find_one_and_update(
                filter, update, projection=projection, return_document=not before
            )
            return found

    async def find_one_and_delete(self, filter: Mapping[str, Any]) -> Document | None:
        with self._calling("writing"):
            found: Document | None = await self._c.find_one_and_delete(filter)
            return found

    async def delete_one(self, filter: Mapping[str, Any]) -> int:
        with self._calling("writing"):
            return (await self._c.delete_one(filter)).deleted_count

    async def delete_many(self, filter: Mapping[str, Any]) -> int:
        with self._calling("writing"):
            return (await self._c.delete_many(filter)).deleted_count

    async def count(self, filter: Mapping[str, Any]) -> int:
        with self._calling("reading"):
            return await self._c.count_documents(filter)

    async def create_index(self, keys: IndexKeys, *, name: str, **options: Any) -> None:
        with self._calling(f"creating index {name} on"):
            await self._c.create_index(list(keys), name=name, **options)
