"""Storage for tenancy: repository protocols, records, errors, and the store adapters.

``store = await open_store(url, data_dir=...)`` returns a `Store` (SQLite by default, or
MongoDB); see `tenancy.store.protocols` for the repository contracts.

`MongoStore` is imported on first use: pymongo (with the TLS stack it loads) costs a
service on SQLite a tenth of a second of start-up for nothing.
"""

from typing import TYPE_CHECKING, Any

from tenancy.store._codec import DEFAULT_MAX_RECORD_BYTES
from tenancy.store.errors import (
    Conflict,
    InvalidRecord,
    InvalidStoreURL,
    LastOwner,
    NotFound,
    RecordTooLarge,
    SchemaError,
    StoreClosed,
    StoreError,
    StoreUnavailable,
    WorkspaceNotProvisioned,
)
from tenancy.store.factory import open_store
from tenancy.store.protocols import (
    AppRepository,
    BrainDirectory,
    BrainRepository,
    DomainIndex,
    DomainRepository,
    FeagiKeyRepository,
    LoginCodeRepository,
    MemberRepository,
    MembershipIndex,
    MemoryRepository,
    RevokedTokenRepository,
    RunningBrainIndex,
    SessionRepository,
    Store,
    ThreadRepository,
    UserRepository,
    WorkspaceRepository,
    WorkspaceStore,
)
from tenancy.store.records import (
    BRAIN_STATES,
    BrainRecord,
    BrainSnapshot,
    BrainState,
    CodeCheck,
    CodeOutcome,
    Domain,
    FeagiKey,
    InstalledApp,
    JSONObject,
    LoginCode,
    Member,
    MemberKind,
    Membership,
    Memory,
    RevokedToken,
    Role,
    Rotation,
    RotationOutcome,
    RunningBrain,
    Session,
    Thread,
    ThreadMessage,
    User,
    Workspace,
    check_key,
    email_key,
)
from tenancy.store.sqlite.store import SQLiteStore
from tenancy.store.url import MongoLocation, SQLiteLocation, parse_store_url, redact_url

if TYPE_CHECKING:
    from tenancy.store.mongodb.store import MongoStore

__all__ = [
    "BRAIN_STATES",
    "DEFAULT_MAX_RECORD_BYTES",
    "AppRepository",
    "BrainDirectory",
    "BrainRecord",
    "BrainRepository",
    "BrainSnapshot",
    "BrainState",
    "CodeCheck",
    "CodeOutcome",
    "Conflict",
    "Domain",
    "DomainIndex",
    "DomainRepository",
    "FeagiKey",
    "FeagiKeyRepository",
    "InstalledApp",
    "InvalidRecord",
    "InvalidStoreURL",
    "JSONObject",
    "LastOwner",
    "LoginCode",
    "LoginCodeRepository",
    "Member",
    "MemberKind",
    "MemberRepository",
    "Membership",
    "MembershipIndex",
    "Memory",
    "MemoryRepository",
    "MongoLocation",
    "MongoStore",
    "NotFound",
    "RecordTooLarge",
    "RevokedToken",
    "RevokedTokenRepository",
    "Role",
    "Rotation",
    "RotationOutcome",
    "RunningBrain",
    "RunningBrainIndex",
    "SQLiteLocation",
    "SQLiteStore",
    "SchemaError",
    "Session",
    "SessionRepository",
    "Store",
    "StoreClosed",
    "StoreError",
    "StoreUnavailable",
    "Thread",
    "ThreadMessage",
    "ThreadRepository",
    "User",
    "UserRepository",
    "Workspace",
    "WorkspaceNotProvisioned",
    "WorkspaceRepository",
    "WorkspaceStore",
    "check_key",
    "email_key",
    "open_store",
    "parse_store_url",
    "redact_url",
]


def __getattr__(name: str) -> Any:
    if name == "MongoStore":
        from tenancy.store.mongodb.store import MongoStore

        return MongoStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
