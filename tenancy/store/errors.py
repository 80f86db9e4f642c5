"""The exception hierarchy of `tenancy.store`.

Every error raised by a store adapter is a `StoreError`; driver exceptions (sqlite3,
pymongo) never leak through the repository API, so callers handle one hierarchy whatever
the backend.
"""

from __future__ import annotations

__all__ = [
    "Conflict",
    "InvalidRecord",
    "InvalidStoreURL",
    "LastOwner",
    "NotFound",
    "RecordTooLarge",
    "SchemaError",
    "StoreClosed",
    "StoreError",
    "StoreUnavailable",
    "WorkspaceNotProvisioned",
]


class StoreError(Exception):
    """Base class of every error raised by `tenancy.store`."""


class NotFound(StoreError):  # noqa: N818 (names read as outcomes)
    """The record addressed by an update or delete does not exist."""


class WorkspaceNotProvisioned(NotFound):
    """A workspace-bound repository was used for a workspace without storage.

    Call `Store.provision_workspace(workspace_id)` first (or the workspace was dropped).
    """


class Conflict(StoreError):  # noqa: N818 (names read as outcomes)
    """A write would violate a uniqueness or consistency rule.

    `field` names the unique key that collided (e.g. ``"email"``, ``"slug"``, ``"domain"``)
    so an HTTP layer can answer 409 with a field-level message.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class LastOwner(Conflict):
    """Removing or demoting this member would leave the workspace without an owner."""


class InvalidRecord(StoreError, ValueError):  # noqa: N818 (names read as outcomes)
    """A record or key is malformed (bad identifier, naive datetime, wrong kind...)."""


class RecordTooLarge(InvalidRecord):
    """A record exceeds the store's size limit (`max_record_bytes`)."""


class InvalidStoreURL(StoreError, ValueError):  # noqa: N818 (names read as outcomes)
    """The store URL has an unknown scheme or a malformed path."""


class StoreUnavailable(StoreError):  # noqa: N818 (names read as outcomes)
    """The backend cannot be reached or refused the operation (disk, network, locked)."""


class SchemaError(StoreError):
    """The on-disk schema cannot be used: newer than this code, or a migration failed."""


class StoreClosed(StoreError):  # noqa: N818 (names read as outcomes)
    """The store was closed with `aclose()`; open a new one."""
