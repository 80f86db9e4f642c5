"""Repository protocols: what every store adapter (SQLite, MongoDB) provides.

Two kinds of repositories:

- System repositories live on `Store` and hold data that spans workspaces: users, login
  codes, sessions, revoked access tokens, workspaces, the membership index (a user's
  workspaces) and the domain index (domain -> workspace).
- Workspace-bound repositories live on `WorkspaceStore`, obtained with
  ``store.workspace(workspace_id)``. The workspace id is fixed when the object is built and is
  never a method parameter, so no call on it can read or write another workspace.

Every method is a coroutine. Methods whose result depends on the time take ``now`` explicitly
(an injectable clock), so expiry is testable without sleeping. Uniqueness violations raise
`Conflict` (with `field`), missing targets of updates raise `NotFound`; lookups return None.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from tenancy.store.records import (
    BrainRecord,
    BrainSnapshot,
    CodeCheck,
    Domain,
    FeagiKey,
    InstalledApp,
    LoginCode,
    Member,
    Membership,
    Memory,
    RevokedToken,
    Role,
    Rotation,
    RunningBrain,
    Session,
    Thread,
    ThreadMessage,
    User,
    Workspace,
)

__all__ = [
    "AppRepository",
    "BrainDirectory",
    "BrainRepository",
    "DomainIndex",
    "DomainRepository",
    "FeagiKeyRepository",
    "LoginCodeRepository",
    "MemberRepository",
    "MembershipIndex",
    "MemoryRepository",
    "RevokedTokenRepository",
    "RunningBrainIndex",
    "SessionRepository",
    "Store",
    "ThreadRepository",
    "UserRepository",
    "WorkspaceRepository",
    "WorkspaceStore",
]


# --------------------------------------------------------------------------- system


class UserRepository(Protocol):
    """Users, unique by id and by email (case-insensitive)."""

    async def create(self, user: User) -> None:
        """Store a new user. Raises `Conflict` (field ``"email"`` or ``"id"``)."""
        ...

    async def get_or_create(self, user: User) -> tuple[User, bool]:
        """Return the user with `user.email`, creating `user` if there is none.

        Atomic: two concurrent calls for one email create one user. The flag is True when
        this call created it.
        """
        ...

    async def get(self, user_id: str) -> User | None:
        """The user with this id, or None."""
        ...

    async def get_by_email(self, email: str) -> User | None:
        """The user with this email (compared case-insensitively), or None."""
        ...

    async def update(self, user_id: str, *, display_name: str | None) -> User:
        """Set the display name; returns the updated user. Raises `NotFound`."""
        ...


class LoginCodeRepository(Protocol):
    """The latest login code per email (issuing replaces the previous one)."""

    async def issue(self, code: LoginCode, *, min_interval: timedelta) -> datetime | None:
        """Store `code` as the only live code of its email, unless one was issued too recently.

        Atomic: returns None when stored; when the current code was created less than
        `min_interval` before ``code.created_at``, stores nothing and returns the earliest
        time a new code may be issued (for Retry-After).
        """
        ...

    async def get(self, email: str) -> LoginCode | None:
        """The latest code of this email (live or not), or None."""
        ...

    async def check(
        self, email: str, code_hmac: bytes, *, now: datetime, max_attempts: int
    ) -> CodeCheck:
        """Verify a submitted code against the latest one, atomically.

        ACCEPTED consumes the code (of two concurrent correct checks exactly one is
        ACCEPTED); a wrong code increments `attempts` (MISMATCH, or EXHAUSTED when that reaches
        `max_attempts`); EXPIRED / EXHAUSTED / MISSING change nothing.
        """
        ...

    async def delete(self, email: str) -> bool:
        """Forget the code of this email; True if there was one."""
        ...

    async def purge_expired(self, now: datetime) -> int:
        """Delete codes with ``expires_at <= now``; returns how many (MongoDB's TTL index
        also removes them on its own schedule)."""
        ...


class SessionRepository(Protocol):
    """Refresh-token sessions, grouped in rotation families."""

    async def create(self, session: Session) -> None:
        """Store a new session (a login). Raises `Conflict` (field ``"id"``/``"token_hash"``)."""
        ...

    async def get(self, session_id: str) -> Session | None:
        """The session with this id, or None."""
        ...

    async def get_by_token_hash(self, token_hash: bytes) -> Session | None:
        """The session whose refresh token hashes to `token_hash`, or None."""
        ...

    async def rotate(
        self,
        token_hash: bytes,
        *,
        new_id: str,
        new_token_hash: bytes,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> Rotation:
        """Exchange a live refresh token for a new one (compare-and-set on the old one).

        The new session joins the old one's user and family; it expires at `expires_at`, or
        when the family's current token does if None. Presenting an already-rotated token
        revokes the whole family (REUSED). Of two concurrent rotations of one token exactly
        one is ROTATED; the other sees REUSED, so the family is revoked (strict reuse
        detection, no grace window).
        """
        ...

    async def revoke(self, session_id: str) -> bool:
        """Revoke one session; True if it existed and was live."""
        ...

    async def revoke_family(self, family_id: str) -> int:
        """Revoke every session of a family (logout); returns how many changed."""
        ...

    async def revoke_user(self, user_id: str) -> int:
        """Revoke every session of a user (log out everywhere); returns how many changed."""
        ...

    async def purge_expired(self, now: datetime) -> int:
        """Delete sessions with ``expires_at <= now``; returns how many."""
        ...


class RevokedTokenRepository(Protocol):
    """Access-token ids revoked before their expiry (checked on every request)."""

    async def add(self, token: RevokedToken) -> None:
        """Record a revocation. Idempotent; keeps the later expiry."""
        ...

    async def is_revoked(self, jti: str) -> bool:
        """True if this jti was revoked (and not purged yet)."""
        ...

    async def purge_expired(self, now: datetime) -> int:
        """Delete entries with ``expires_at <= now``; returns how many."""
        ...


class WorkspaceRepository(Protocol):
    """Workspaces, unique by id and by slug. Deletion is `Store.drop_workspace`."""

    async def create(self, workspace: Workspace, *, owner: Member | None = None) -> None:
        """Store a new workspace, and its first member atomically with it when given.

        Raises `Conflict` (field ``"slug"`` or ``"id"``), `InvalidRecord` when the owner's
        workspace id or role does not fit. Storage for its data is made by
        `Store.provision_workspace`.
        """
        ...

    async def get(self, workspace_id: str) -> Workspace | None:
        """The workspace with this id, or None."""
        ...

    async def get_by_slug(self, slug: str) -> Workspace | None:
        """The workspace with this slug, or None."""
        ...

    async def update(
        self, workspace_id: str, *, name: str | None = None, slug: str | None = None
    ) -> Workspace:
        """Rename and/or re-slug; returns the updated workspace.

        Raises `NotFound`, `Conflict` (field ``"slug"``), `InvalidRecord`.
        """
        ...


class MembershipIndex(Protocol):
    """Memberships seen from a user (across workspaces): the only cross-workspace view."""

    async def list_for_user(self, user_id: str) -> list[Membership]:
        """Every workspace the user is a member of, with the seat, ordered by workspace id."""
        ...

    async def claim_invitations(self, user_id: str, email: str) -> list[Member]:
        """Turn pending invitations for `email` into memberships of `user_id` (on login).

        An invitation to a workspace the user already belongs to is dropped. Returns the
        members created by this call.
        """
        ...


class DomainIndex(Protocol):
    """Domain -> workspace resolution across all workspaces (inbound mail, Host header)."""

    async def resolve(self, domain: str) -> Domain | None:
        """The owner of `domain` (compared lower-case), or None."""
        ...


class FeagiKeyRepository(Protocol):
    """Per-brain keys of the FEAGI-compatible API, looked up by the hash of the key."""

    async def create(self, key: FeagiKey) -> None:
        """Store a new key. Raises `Conflict` (field ``"key_hash"``)."""
        ...

    async def resolve(self, key_hash: bytes) -> FeagiKey | None:
        """The live (not revoked) key with this hash, or None."""
        ...

    async def revoke(self, key_hash: bytes) -> bool:
        """Revoke a key; True if it existed and was live."""
        ...

    async def list_for_brain(self, workspace_id: str, brain_id: str) -> list[FeagiKey]:
        """Every key of one brain (revoked ones included), oldest first."""
        ...

    async def delete_for_brain(self, workspace_id: str, brain_id: str) -> int:
        """Forget every key of one brain (when it is deleted); returns how many."""
        ...


class BrainDirectory(Protocol):
    """Brain id -> workspace id, across workspaces (to authorize ``brain:<id>`` topics and
    route FEAGI calls without knowing the workspace first)."""

    async def add(self, brain_id: str, workspace_id: str) -> None:
        """Record where a brain lives. Raises `Conflict` (field ``"brain_id"``) when the id
        is already taken by another workspace; idempotent for the same workspace."""
        ...

    async def workspace_of(self, brain_id: str) -> str | None:
        """The workspace of this brain, or None."""
        ...

    async def remove(self, brain_id: str) -> bool:
        """Forget a brain; True if it was recorded."""
        ...


class RunningBrainIndex(Protocol):
    """The brains meant to be running (``desired_state == "running"``) across workspaces, so
    that a starting service resumes them without reading every workspace's brains.

    `BrainRepository` keeps it: create and update index a brain *before* its record says
    running, update and delete drop the entry *after* the record stops saying it (records
    and index may live in different databases, with no transaction spanning both). So a
    brain stored as running is always listed, but an entry may be stale: a process that
    died between the two writes leaves one whose record is not running, or is gone. Readers
    check the record before acting on an entry.
    """

    async def list(
        self, *, after: RunningBrain | None = None, limit: int = 1000
    ) -> list[RunningBrain]:
        """Entries ordered by workspace id then brain id, those after `after`, at most `limit`
        (keyset pages: pass the last entry of a page to get the next).

        Also complete for brains stored before the index existed: the first listing of a
        store written by such a version reads every workspace's brains once to fill it.
        """
        ...


# ------------------------------------------------------------------ workspace-bound


class MemberRepository(Protocol):
    """Members of the bound workspace. A workspace always keeps at least one owner."""

    async def add(self, member: Member) -> None:
        """Add a member (active, pending or digital).

        Raises `Conflict` (field ``"user_id"``, ``"email"`` or ``"id"``), `InvalidRecord` if
        ``member.workspace_id`` is not the bound workspace.
        """
        ...

    async def get(self, member_id: str) -> Member | None:
        """The member with this id in the bound workspace, or None."""
        ...

    async def get_by_user(self, user_id: str) -> Member | None:
        """The seat of this user in the bound workspace, or None."""
        ...

    async def list(self) -> list[Member]:
        """All members, ordered by creation time then id."""
        ...

    async def set_role(self, member_id: str, role: Role) -> Member:
        """Change a member's role; returns the updated member.

        Raises `NotFound`, `LastOwner` when demoting the only owner.
        """
        ...

    async def remove(self, member_id: str) -> Member:
        """Remove a member; returns it. Raises `NotFound`, `LastOwner` for the only owner."""
        ...


class DomainRepository(Protocol):
    """Domains owned by the bound workspace (unique across all workspaces)."""

    async def claim(self, domain: Domain) -> None:
        """Own `domain`. Idempotent for the bound workspace.

        Raises `Conflict` (field ``"domain"``) when another workspace owns it,
        `InvalidRecord` if ``domain.workspace_id`` is not the bound workspace.
        """
        ...

    async def list(self) -> list[Domain]:
        """The bound workspace's domains, ordered by name."""
        ...

    async def release(self, domain: str) -> bool:
        """Give up `domain`; True if the bound workspace owned it."""
        ...


class AppRepository(Protocol):
    """Apps installed in the bound workspace."""

    async def put(self, app: InstalledApp) -> None:
        """Install, or replace the version/settings of, an app."""
        ...

    async def get(self, app_id: str) -> InstalledApp | None:
        """The installed app with this id, or None."""
        ...

    async def list(self) -> list[InstalledApp]:
        """Installed apps, ordered by app id."""
        ...

    async def remove(self, app_id: str) -> bool:
        """Uninstall; True if it was installed."""
        ...


class BrainRepository(Protocol):
    """Brains of the bound workspace and their persisted runtime snapshots."""

    async def create(self, brain: BrainRecord) -> None:
        """Store a new brain (in `Store.running_brains` too when it is created running).
        Raises `Conflict` (field ``"id"``), `RecordTooLarge`."""
        ...

    async def get(self, brain_id: str) -> BrainRecord | None:
        """The brain with this id, or None."""
        ...

    async def list(self) -> list[BrainRecord]:
        """All brains, ordered by creation time then id."""
        ...

    async def update(self, brain: BrainRecord) -> None:
        """Replace every field but id and created_at (name, genome, updated_at, hosting
        settings and counts), keeping `Store.running_brains` in step with ``desired_state``.
        Raises `NotFound`, `RecordTooLarge`."""
        ...

    async def delete(self, brain_id: str) -> bool:
        """Delete a brain, its snapshot and its `Store.running_brains` entry; True if it
        existed."""
        ...

    async def save_snapshot(self, snapshot: BrainSnapshot) -> None:
        """Replace the brain's snapshot. Raises `NotFound` (no such brain), `RecordTooLarge`."""
        ...

    async def load_snapshot(self, brain_id: str) -> BrainSnapshot | None:
        """The latest snapshot of the brain, or None."""
        ...


class MemoryRepository(Protocol):
    """Memories of the bound workspace."""

    async def put(self, memory: Memory) -> None:
        """Insert or replace a memory. Raises `RecordTooLarge`."""
        ...

    async def get(self, memory_id: str) -> Memory | None:
        """The memory with this id, or None."""
        ...

    async def list(
        self, *, kind: str | None = None, brain_id: str | None = None, limit: int = 100
    ) -> list[Memory]:
        """Memories matching the filters, oldest first (created_at, then id), at most `limit`."""
        ...

    async def delete(self, memory_id: str) -> bool:
        """Delete a memory; True if it existed."""
        ...


class ThreadRepository(Protocol):
    """Conversation threads of the bound workspace. Message ids are unique per workspace."""

    async def create(self, thread: Thread) -> None:
        """Store a new thread with its messages. Raises `Conflict` (``"id"``/``"message_id"``)."""
        ...

    async def get(self, thread_id: str) -> Thread | None:
        """The thread with its messages, or None."""
        ...

    async def list(self, *, limit: int = 100) -> list[Thread]:
        """Threads, oldest first (created_at, then id), at most `limit`."""
        ...

    async def append(self, thread_id: str, message: ThreadMessage) -> Thread:
        """Add a message at the end; returns the updated thread.

        Raises `NotFound`, `Conflict` (field ``"message_id"``), `RecordTooLarge`.
        """
        ...

    async def find_by_message_id(self, message_id: str) -> Thread | None:
        """The thread holding a message with this Message-ID (for In-Reply-To), or None."""
        ...

    async def delete(self, thread_id: str) -> bool:
        """Delete a thread and its messages; True if it existed."""
        ...


class WorkspaceStore(Protocol):
    """The repositories of one workspace; the id is bound at construction."""

    @property
    def workspace_id(self) -> str:
        """The workspace every repository here is confined to."""
        ...

    @property
    def members(self) -> MemberRepository: ...

    @property
    def domains(self) -> DomainRepository: ...

    @property
    def apps(self) -> AppRepository: ...

    @property
    def brains(self) -> BrainRepository: ...

    @property
    def memories(self) -> MemoryRepository: ...

    @property
    def threads(self) -> ThreadRepository: ...


class Store(Protocol):
    """A storage backend: system repositories plus per-workspace stores."""

    @property
    def users(self) -> UserRepository: ...

    @property
    def login_codes(self) -> LoginCodeRepository: ...

    @property
    def sessions(self) -> SessionRepository: ...

    @property
    def revoked_tokens(self) -> RevokedTokenRepository: ...

    @property
    def workspaces(self) -> WorkspaceRepository: ...

    @property
    def memberships(self) -> MembershipIndex: ...

    @property
    def domains(self) -> DomainIndex: ...

    @property
    def feagi_keys(self) -> FeagiKeyRepository: ...

    @property
    def brain_directory(self) -> BrainDirectory: ...

    @property
    def running_brains(self) -> RunningBrainIndex: ...

    def workspace(self, workspace_id: str) -> WorkspaceStore:
        """The repositories of one workspace (cheap; no I/O until used).

        Raises `InvalidRecord` for a malformed id. Using it before `provision_workspace`
        (or after `drop_workspace`) raises `WorkspaceNotProvisioned` for workspace-file data.
        """
        ...

    async def provision_workspace(self, workspace_id: str) -> None:
        """Create the storage of a workspace (file, database or indexes). Idempotent."""
        ...

    async def drop_workspace(self, workspace_id: str) -> None:
        """Delete everything of a workspace: its record, members, domains, all its data and
        its brains' `running_brains` entries."""
        ...

    async def aclose(self) -> None:
        """Close connections and worker threads. Further use raises `StoreClosed`."""
        ...
