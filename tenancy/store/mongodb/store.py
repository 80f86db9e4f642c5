"""The MongoDB store: system collections in one database, workspace data either in shared
collections keyed by ``workspace_id`` (default) or in one database per workspace."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from tenancy.store._codec import DEFAULT_MAX_RECORD_BYTES, to_micros
from tenancy.store.errors import StoreClosed, WorkspaceNotProvisioned
from tenancy.store.mongodb._driver import (
    ClientLike,
    Collection,
    DatabaseLike,
    IndexKeys,
    translated,
)
from tenancy.store.mongodb.system import (
    MongoBrainDirectory,
    MongoDomainIndex,
    MongoDomainRepository,
    MongoFeagiKeyRepository,
    MongoLoginCodeRepository,
    MongoMemberRepository,
    MongoMembershipIndex,
    MongoRevokedTokenRepository,
    MongoRunningBrainIndex,
    MongoSessionRepository,
    MongoUserRepository,
    MongoWorkspaceRepository,
)
from tenancy.store.mongodb.workspace import (
    MongoAppRepository,
    MongoBrainRepository,
    MongoMemoryRepository,
    MongoThreadRepository,
    WorkspaceCollections,
)
from tenancy.store.records import check_key

_Index = tuple[str, IndexKeys, dict[str, Any]]

_STRING = {"$type": "string"}

SYSTEM_INDEXES: dict[str, Sequence[_Index]] = {
    "users": [("users_email", [("email_key", 1)], {"unique": True})],
    # TTL: the server deletes a code once `expires_at` (a BSON date) has passed.
    "login_codes": [("login_codes_ttl", [("expires_at", 1)], {"expireAfterSeconds": 0})],
    "sessions": [
        ("sessions_token", [("token_hash", 1)], {"unique": True}),
        ("sessions_family", [("family_id", 1)], {}),
        ("sessions_user", [("user_id", 1)], {}),
        ("sessions_ttl", [("expires_at", 1)], {"expireAfterSeconds": 0}),
    ],
    "revoked_tokens": [("revoked_ttl", [("expires_at", 1)], {"expireAfterSeconds": 0})],
    "workspaces": [("workspaces_slug", [("slug", 1)], {"unique": True})],
    "members": [
        (
            "members_seat",
            [("workspace_id", 1), ("user_id", 1)],
            {"unique": True, "partialFilterExpression": {"user_id": _STRING}},
        ),
        (
            "members_invite",
            [("workspace_id", 1), ("email_key", 1)],
            {"unique": True, "partialFilterExpression": {"email_key": _STRING}},
        ),
        ("members_user", [("user_id", 1)], {}),
        ("members_email", [("email_key", 1)], {}),
        ("members_order", [("workspace_id", 1), ("created_at_us", 1), ("id", 1)], {}),
    ],
    "domains": [("domains_workspace", [("workspace_id", 1)], {})],
    "feagi_keys": [
        ("feagi_keys_brain", [("workspace_id", 1), ("brain_id", 1), ("created_at_us", 1)], {})
    ],
    "brain_directory": [("brain_directory_workspace", [("workspace_id", 1)], {})],
    "running_brains": [("running_brains_order", [("workspace_id", 1), ("brain_id", 1)], {})],
}

WORKSPACE_INDEXES: dict[str, Sequence[_Index]] = {
    "apps": [("apps_key", [("workspace_id", 1), ("app_id", 1)], {"unique": True})],
    "brains": [
        ("brains_key", [("workspace_id", 1), ("id", 1)], {"unique": True}),
        ("brains_order", [("workspace_id", 1), ("created_at_us", 1), ("id", 1)], {}),
    ],
    "brain_snapshots": [
        ("snapshots_key", [("workspace_id", 1), ("brain_id", 1)], {"unique": True})
    ],
    "memories": [
        ("memories_key", [("workspace_id", 1), ("id", 1)], {"unique": True}),
        ("memories_kind", [("workspace_id", 1), ("kind", 1), ("created_at_us", 1)], {}),
        ("memories_brain", [("workspace_id", 1), ("brain_id", 1), ("created_at_us", 1)], {}),
    ],
    "threads": [
        ("threads_key", [("workspace_id", 1), ("id", 1)], {"unique": True}),
        ("threads_order", [("workspace_id", 1), ("created_at_us", 1), ("id", 1)], {}),
    ],
    "thread_message_ids": [
        ("message_ids_key", [("workspace_id", 1), ("message_id", 1)], {"unique": True}),
        ("message_ids_thread", [("workspace_id", 1), ("thread_id", 1)], {}),
    ],
}

STORAGE_MARKERS = "workspace_storage"
BACKFILLS = "store_backfills"


async def _create_indexes(database: DatabaseLike, indexes: dict[str, Sequence[_Index]]) -> None:
    for collection, specs in indexes.items():
        target = Collection(database[collection], collection)
        for name, keys, options in specs:
            await target.create_index(keys, name=name, **options)


class MongoWorkspaceStore:
    """`WorkspaceStore` of the MongoDB adapter; the workspace id is fixed at construction."""

    def __init__(self, store: MongoStore, workspace_id: str) -> None:
        self._workspace_id = workspace_id
        system = store.system_collection
        collections = store.workspace_collections(workspace_id)
        require = store.require_provisioned
        limit = store.max_record_bytes
        self._members = MongoMemberRepository(
            system("workspaces"), system("members"), workspace_id
        )
        self._domains = MongoDomainRepository(
            system("workspaces"), system("domains"), workspace_id
        )
        self._apps = MongoAppRepository(collections, workspace_id, require, limit)
        self._brains = MongoBrainRepository(
            collections, workspace_id, require, limit, store.running_brains
        )
        self._memories = MongoMemoryRepository(collections, workspace_id, require, limit)
        self._threads = MongoThreadRepository(collections, workspace_id, require, limit)

    @property
    def workspace_id(self) -> str:
        return self._workspace_id

    @property
    def members(self) -> MongoMemberRepository:
        return self._members

    @property
    def domains(self) -> MongoDomainRepository:
        return self._domains

    @property
    def apps(self) -> MongoAppRepository:
        return self._apps

    @property
    def brains(self) -> MongoBrainRepository:
        return self._brains

    @property
    def memories(self) -> MongoMemoryRepository:
        return self._memories

    @property
    def threads(self) -> MongoThreadRepository:
        return self._threads


class MongoStore:
    """`Store` on MongoDB. Open with `MongoStore.open` (creates indexes)."""

    def __init__(
        self,
        client: ClientLike,
        *,
        database: str,
        db_per_workspace: bool,
        max_record_bytes: int,
    ) -> None:
        self._client = client
        self._database_name = database
        self._db = client[database]
        self._db_per_workspace = db_per_workspace
        self.max_record_bytes = max_record_bytes
        self._provisioned: set[str] = set()
        self._closed = False
        system = self.system_collection
        self._users = MongoUserRepository(system("users"))
        self._login_codes = MongoLoginCodeRepository(system("login_codes"))
        self._sessions = MongoSessionRepository(system("sessions"))
        self._revoked_tokens = MongoRevokedTokenRepository(system("revoked_tokens"))
        self._workspaces = MongoWorkspaceRepository(system("workspaces"), system("members"))
        self._memberships = MongoMembershipIndex(system("workspaces"), system("members"))
        self._domains = MongoDomainIndex(system("domains"))
        self._feagi_keys = MongoFeagiKeyRepository(system("feagi_keys"), system("workspaces"))
        self._brain_directory = MongoBrainDirectory(
            system("brain_directory"), system("workspaces")
        )
        self._running_brains = MongoRunningBrainIndex(
            system("running_brains"), system(BACKFILLS), system(STORAGE_MARKERS),
            lambda workspace_id: self.workspace_collections(workspace_id).brains,
        )

    @classmethod
    async def open(
        cls,
        client: ClientLike,
        *,
        database: str,
        db_per_workspace: bool = False,
        max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES,
    ) -> MongoStore:
        """Wrap a connected client and make sure every index exists."""
        store = cls(
            client,
            database=database,
            db_per_workspace=db_per_workspace,
            max_record_bytes=max_record_bytes,
        )
        await _create_indexes(store._db, SYSTEM_INDEXES)
        if not db_per_workspace:
            await _create_indexes(store._db, WORKSPACE_INDEXES)
        return store

    def _ensure_open(self) -> None:
        if self._closed:
            raise StoreClosed("the store is closed")

    def system_collection(self, name: str) -> Collection:
        """A collection of the system database."""
        return Collection(self._db[name], name, self._ensure_open)

    def workspace_database_name(self, workspace_id: str) -> str:
        """The database of a workspace in the one-database-per-workspace layout."""
        return f"{self._database_name}_w_{workspace_id}"

    def _workspace_database(self, workspace_id: str) -> DatabaseLike:
        if self._db_per_workspace:
            return self._client[self.workspace_database_name(workspace_id)]
        return self._db

    def workspace_collections(self, workspace_id: str) -> WorkspaceCollections:
        """The collections holding `workspace_id`'s data."""
        db = self._workspace_database(workspace_id)
        return WorkspaceCollections(
            apps=Collection(db["apps"], "apps", self._ensure_open),
            brains=Collection(db["brains"], "brains", self._ensure_open),
            snapshots=Collection(db["brain_snapshots"], "brain_snapshots", self._ensure_open),
            memories=Collection(db["memories"], "memories", self._ensure_open),
            threads=Collection(db["threads"], "threads", self._ensure_open),
            message_ids=Collection(
                db["thread_message_ids"], "thread_message_ids", self._ensure_open
            ),
        )

    async def require_provisioned(self, workspace_id: str) -> None:
        """Raise `WorkspaceNotProvisioned` unless the workspace has storage.

        The answer is cached per process once positive; `drop_workspace` clears it.
        """
        self._ensure_open()
        if workspace_id in self._provisioned:
            return
        marker = await self.system_collection(STORAGE_MARKERS).find_one({"_id": workspace_id})
        if marker is None:
            raise WorkspaceNotProvisioned(
                f"workspace {workspace_id!r} has no storage; provision it first"
            )
        self._provisioned.add(workspace_id)

    @property
    def db_per_workspace(self) -> bool:
        """True in the one-database-per-workspace layout."""
        return self._db_per_workspace

    @property
    def users(self) -> MongoUserRepository:
        return self._users

    @property
    def login_codes(self) -> MongoLoginCodeRepository:
        return self._login_codes

    @property
    def sessions(self) -> MongoSessionRepository:
        return self._sessions

    @property
    def revoked_tokens(self) -> MongoRevokedTokenRepository:
        return self._revoked_tokens

    @property
    def workspaces(self) -> MongoWorkspaceRepository:
        return self._workspaces

    @property
    def memberships(self) -> MongoMembershipIndex:
        return self._memberships

    @property
    def domains(self) -> MongoDomainIndex:
        return self._domains

    @property
    def feagi_keys(self) -> MongoFeagiKeyRepository:
        return self._feagi_keys

    @property
    def brain_directory(self) -> MongoBrainDirectory:
        return self._brain_directory

    @property
    def running_brains(self) -> MongoRunningBrainIndex:
        return self._running_brains

    def workspace(self, workspace_id: str) -> MongoWorkspaceStore:
        check_key(workspace_id, "workspace id")
        self._ensure_open()
        return MongoWorkspaceStore(self, workspace_id)

    async def provision_workspace(self, workspace_id: str) -> None:
        check_key(workspace_id, "workspace id")
        if self._db_per_workspace:
            await _create_indexes(self._workspace_database(workspace_id), WORKSPACE_INDEXES)
        await self.system_collection(STORAGE_MARKERS).update_one(
            {"_id": workspace_id},
            {"$setOnInsert": {"provisioned_at_us": to_micros(datetime.now(UTC))}},
            upsert=True,
        )
        self._provisioned.add(workspace_id)

    async def drop_workspace(self, workspace_id: str) -> None:
        check_key(workspace_id, "workspace id")
        self._provisioned.discard(workspace_id)
        system = self.system_collection
        # Record and marker first: from then on the workspace is gone for every caller.
        await system("workspaces").delete_one({"_id": workspace_id})
        await system(STORAGE_MARKERS).delete_one({"_id": workspace_id})
        await system("members").delete_many({"workspace_id": workspace_id})
        await system("domains").delete_many({"workspace_id": workspace_id})
        await system("feagi_keys").delete_many({"workspace_id": workspace_id})
        await system("brain_directory").delete_many({"workspace_id": workspace_id})
        await system("running_brains").delete_many({"workspace_id": workspace_id})
        if self._db_per_workspace:
            name = self.workspace_database_name(workspace_id)
            with translated(f"dropping database {name}"):
                await self._client.drop_database(name)
            return
        collections = self.workspace_collections(workspace_id)
        for collection in (
            collections.apps, collections.brains, collections.snapshots,
            collections.memories, collections.threads, collections.message_ids,
        ):
            await collection.delete_many({"workspace_id": workspace_id})

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        with translated("closing the MongoDB client"):
            await self._client.close()
