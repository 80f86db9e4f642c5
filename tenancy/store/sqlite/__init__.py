"""The SQLite adapter (embedded default): ``system.db`` plus one file per workspace."""

from tenancy.store.sqlite.store import SQLiteStore, SQLiteWorkspaceStore

__all__ = ["SQLiteStore", "SQLiteWorkspaceStore"]
