"""The SQLite store: ``<root>/system.db`` plus ``<root>/workspaces/<id>.db``."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import anyio

from tenancy.store._codec import DEFAULT_MAX_RECORD_BYTES
from tenancy.store.errors import StoreClosed
from tenancy.store.records import check_key
from tenancy.store.sqlite._files import WorkspaceFiles
from tenancy.store.sqlite._sql import transaction
from tenancy.store.sqlite._worker import ConnectionWorker, connect
from tenancy.store.sqlite.schema import SYSTEM_MIGRATIONS, migrate
from tenancy.store.sqlite.system import (
    SQLiteBrainDirectory,
    SQLiteDomainIndex,
    SQLiteDomainRepository,
    SQLiteFeagiKeyRepository,
    SQLiteLoginCodeRepository,
    SQLiteMemberRepository,
    SQLiteMembershipIndex,
    SQLiteRevokedTokenRepository,
    SQLiteRunningBrainIndex,
    SQLiteSessionRepository,
    SQLiteUserRepository,
    SQLiteWorkspaceRepository,
)
from tenancy.store.sqlite.workspace import (
    SQLiteAppRepository,
    SQLiteBrainRepository,
    SQLiteMemoryRepository,
    SQLiteThreadRepository,
)

SYSTEM_DB = "system.db"
WORKSPACES_DIR = "workspaces"


class SQLiteWorkspaceStore:
    """`WorkspaceStore` of the SQLite adapter; the workspace id is fixed at construction."""

    def __init__(
        self,
        system: ConnectionWorker,
        files: WorkspaceFiles,
        running: SQLiteRunningBrainIndex,
        workspace_id: str,
        max_record_bytes: int,
    ) -> None:
        self._workspace_id = workspace_id
        self._members = SQLiteMemberRepository(system, workspace_id)
        self._domains = SQLiteDomainRepository(system, workspace_id)
        self._apps = SQLiteAppRepository(files, workspace_id, max_record_bytes)
        self._brains = SQLiteBrainRepository(files, workspace_id, max_record_bytes, running)
        self._memories = SQLiteMemoryRepository(files, workspace_id, max_record_bytes)
        self._threads = SQLiteThreadRepository(files, workspace_id, max_record_bytes)

    @property
    def workspace_id(self) -> str:
        return self._workspace_id

    @property
    def members(self) -> SQLiteMemberRepository:
        return self._members

    @property
    def domains(self) -> SQLiteDomainRepository:
        return self._domains

    @property
    def apps(self) -> SQLiteAppRepository:
        return self._apps

    @property
    def brains(self) -> SQLiteBrainRepository:
        return self._brains

    @property
    def memories(self) -> SQLiteMemoryRepository:
        return self._memories

    @property
    def threads(self) -> SQLiteThreadRepository:
        return self._threads


class SQLiteStore:
    """`Store` on SQLite files under one directory. Open with `SQLiteStore.open`."""

    def __init__(
        self,
        root: Path,
        system: ConnectionWorker,
        files: WorkspaceFiles,
        *,
        max_record_bytes: int,
    ) -> None:
        self._root = root
        self._system = system
        self._files = files
        self._max_record_bytes = max_record_bytes
        self._closed = False
        self._users = SQLiteUserRepository(system)
        self._login_codes = SQLiteLoginCodeRepository(system)
        self._sessions = SQLiteSessionRepository(system)
        self._revoked_tokens = SQLiteRevokedTokenRepository(system)
        self._workspaces = SQLiteWorkspaceRepository(system)
        self._memberships = SQLiteMembershipIndex(system)
        self._domains = SQLiteDomainIndex(system)
        self._feagi_keys = SQLiteFeagiKeyRepository(system)
        self._brain_directory = SQLiteBrainDirectory(system)
        self._running_brains = SQLiteRunningBrainIndex(system, files)

    @classmethod
    async def open(
        cls,
        root: Path,
        *,
        max_open_workspaces: int = 64,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
        busy_timeout_s: float = 5.0,
    ) -> SQLiteStore:
        """Open (creating and migrating as needed) the store under directory `root`."""
        await anyio.to_thread.run_sync(
            lambda: (root / WORKSPACES_DIR).mkdir(parents=True, exist_ok=True)
        )
        system_path = root / SYSTEM_DB

        def open_system() -> sqlite3.Connection:
            conn = connect(system_path, create=True, busy_timeout_s=busy_timeout_s)
            try:
                migrate(conn, SYSTEM_MIGRATIONS, where=str(system_path))
            except BaseException:
                conn.close()
                raise
            return conn

        system = ConnectionWorker(open_system, name=str(system_path))
        try:
            await system.run(lambda conn: None)
        except BaseException:
            await system.aclose()
            raise
        files = WorkspaceFiles(
            root / WORKSPACES_DIR, max_open=max_open_workspaces, busy_timeout_s=busy_timeout_s
        )
        return cls(root, system, files, max_record_bytes=max_record_bytes)

    @property
    def root(self) -> Path:
        """The directory holding ``system.db`` and ``workspaces/``."""
        return self._root

    @property
    def open_workspace_count(self) -> int:
        """Workspace files currently open (bounded by `max_open_workspaces`)."""
        return self._files.open_count

    @property
    def users(self) -> SQLiteUserRepository:
        return self._users

    @property
    def login_codes(self) -> SQLiteLoginCodeRepository:
        return self._login_codes

    @property
    def sessions(self) -> SQLiteSessionRepository:
        return self._sessions

    @property
    def revoked_tokens(self) -> SQLiteRevokedTokenRepository:
        return self._revoked_tokens

    @property
    def workspaces(self) -> SQLiteWorkspaceRepository:
        return self._workspaces

    @property
    def memberships(self) -> SQLiteMembershipIndex:
        return self._memberships

    @property
    def domains(self) -> SQLiteDomainIndex:
        return self._domains

    @property
    def feagi_keys(self) -> SQLiteFeagiKeyRepository:
        return self._feagi_keys

    @property
    def brain_directory(self) -> SQLiteBrainDirectory:
        return self._brain_directory

    @property
    def running_brains(self) -> SQLiteRunningBrainIndex:
        return self._running_brains

    def workspace(self, workspace_id: str) -> SQLiteWorkspaceStore:
        check_key(workspace_id, "workspace id")
        if self._closed:
            raise StoreClosed("the store is closed")
        return SQLiteWorkspaceStore(
            self._system, self._files, self._running_brains, workspace_id,
            self._max_record_bytes,
        )

    async def provision_workspace(self, workspace_id: str) -> None:
        check_key(workspace_id, "workspace id")
        await self._files.provision(workspace_id)

    async def drop_workspace(self, workspace_id: str) -> None:
        check_key(workspace_id, "workspace id")

        def forget(conn: sqlite3.Connection) -> None:
            # Members and domains go with it (ON DELETE CASCADE).
            with transaction(conn):
                conn.execute("DELETE FROM workspaces WHERE id = ?", (workspace_id,))
                conn.execute("DELETE FROM running_brains WHERE workspace_id = ?", (workspace_id,))

        # The record first: from then on the workspace is gone for every caller, and a crash
        # before the file is deleted leaves only an unreachable file.
        await self._system.run(forget)
        await self._files.drop(workspace_id)

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._files.aclose()
        await self._system.aclose()
