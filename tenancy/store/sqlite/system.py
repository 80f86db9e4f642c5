"""SQLite system repositories (``system.db``): accounts, workspaces, members, domains.

Members and domains live here, not in the workspace files, because they are also read across
workspaces (a user's workspaces, domain resolution); a single table keeps one source of truth
and lets "a workspace keeps an owner" be checked in one transaction. Workspace-bound views of
them (`SQLiteMemberRepository`, `SQLiteDomainRepository`) bind the workspace id at
construction.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import datetime, timedelta
from typing import Any

from tenancy.store._codec import (
    check_max_attempts,
    check_positive_limit,
    from_micros,
    to_micros,
)
from tenancy.store._rules import classify_code, classify_rotation
from tenancy.store.errors import (
    Conflict,
    InvalidRecord,
    LastOwner,
    NotFound,
    WorkspaceNotProvisioned,
)
from tenancy.store.records import (
    ROLES,
    CodeCheck,
    CodeOutcome,
    Domain,
    FeagiKey,
    LoginCode,
    Member,
    Membership,
    RevokedToken,
    Role,
    Rotation,
    RotationOutcome,
    RunningBrain,
    Session,
    User,
    Workspace,
    check_key,
    email_key,
)
from tenancy.store.sqlite._files import WorkspaceFiles
from tenancy.store.sqlite._sql import conflict, transaction
from tenancy.store.sqlite._worker import ConnectionWorker

Row = tuple[Any, ...]
"""A row as sqlite3 returns it (untyped)."""

_USER_FIELDS = {"users.email_key": "email", "users.id": "id"}
_SESSION_FIELDS = {"sessions.id": "id", "sessions.token_hash": "token_hash"}
_WORKSPACE_FIELDS = {"workspaces.slug": "slug", "workspaces.id": "id"}
_MEMBER_FIELDS = {
    "members.workspace_id, members.user_id": "user_id",
    "members.workspace_id, members.email_key": "email",
    "members.workspace_id, members.id": "id",
}


def _user(row: Row) -> User:
    id_, email, _key, display_name, created_at = row
    return User(
        id=str(id_),
        email=str(email),
        display_name=None if display_name is None else str(display_name),
        created_at=from_micros(int(created_at)),
    )


_USER_COLUMNS = "id, email, email_key, display_name, created_at"


class SQLiteUserRepository:
    """`UserRepository` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    @staticmethod
    def _insert(conn: sqlite3.Connection, user: User) -> None:
        try:
            conn.execute(
                f"INSERT INTO users ({_USER_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                (user.id, user.email, email_key(user.email), user.display_name,
                 to_micros(user.created_at)),
            )
        except sqlite3.IntegrityError as exc:
            raise conflict(exc, _USER_FIELDS, "a user") from exc

    async def create(self, user: User) -> None:
        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._insert(conn, user)

        await self._worker.run(run)

    async def get_or_create(self, user: User) -> tuple[User, bool]:
        def run(conn: sqlite3.Connection) -> tuple[User, bool]:
            with transaction(conn):
                row = conn.execute(
                    f"SELECT {_USER_COLUMNS} FROM users WHERE email_key = ?",
                    (email_key(user.email),),
                ).fetchone()
                if row is not None:
                    return _user(row), False
                self._insert(conn, user)
                return user, True

        return await self._worker.run(run)

    async def get(self, user_id: str) -> User | None:
        def run(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)
            ).fetchone()
            return None if row is None else _user(row)

        return await self._worker.run(run)

    async def get_by_email(self, email: str) -> User | None:
        def run(conn: sqlite3.Connection) -> User | None:
            row = conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE email_key = ?", (email_key(email),)
            ).fetchone()
            return None if row is None else _user(row)

        return await self._worker.run(run)

    async def update(self, user_id: str, *, display_name: str | None) -> User:
        def run(conn: sqlite3.Connection) -> User:
            with transaction(conn):
                row = conn.execute(
                    f"UPDATE users SET display_name = ? WHERE id = ? RETURNING {_USER_COLUMNS}",
                    (display_name, user_id),
                ).fetchone()
            if row is None:
                raise NotFound(f"no user with id {user_id!r}")
            return _user(row)

        return await self._worker.run(run)


_CODE_COLUMNS = "email, code_hmac, created_at, expires_at, attempts, consumed"


def _code(row: Row) -> LoginCode:
    email, code_hmac, created_at, expires_at, attempts, consumed = row
    return LoginCode(
        email=str(email),
        code_hmac=bytes(code_hmac),
        created_at=from_micros(int(created_at)),
        expires_at=from_micros(int(expires_at)),
        attempts=int(attempts),
        consumed=bool(consumed),
    )


class SQLiteLoginCodeRepository:
    """`LoginCodeRepository` on ``system.db`` (one row per email: only the latest code)."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def issue(self, code: LoginCode, *, min_interval: timedelta) -> datetime | None:
        key = email_key(code.email)

        def run(conn: sqlite3.Connection) -> datetime | None:
            with transaction(conn):
                row = conn.execute(
                    "SELECT created_at FROM login_codes WHERE email_key = ?", (key,)
                ).fetchone()
                if row is not None:
                    retry_at = from_micros(int(row[0])) + min_interval
                    if retry_at > code.created_at:
                        return retry_at
                conn.execute(
                    f"INSERT OR REPLACE INTO login_codes (email_key, {_CODE_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (key, code.email, code.code_hmac, to_micros(code.created_at),
                     to_micros(code.expires_at), code.attempts, int(code.consumed)),
                )
                return None

        return await self._worker.run(run)

    async def get(self, email: str) -> LoginCode | None:
        def run(conn: sqlite3.Connection) -> LoginCode | None:
            row = conn.execute(
                f"SELECT {_CODE_COLUMNS} FROM login_codes WHERE email_key = ?",
                (email_key(email),),
            ).fetchone()
            return None if row is None else _code(row)

        return await self._worker.run(run)

    async def check(
        self, email: str, code_hmac: bytes, *, now: datetime, max_attempts: int
    ) -> CodeCheck:
        check_max_attempts(max_attempts)
        key = email_key(email)

        def run(conn: sqlite3.Connection) -> CodeCheck:
            with transaction(conn):
                row = conn.execute(
                    f"SELECT {_CODE_COLUMNS} FROM login_codes WHERE email_key = ?", (key,)
                ).fetchone()
                code = None if row is None else _code(row)
                outcome = classify_code(code, code_hmac, now, max_attempts)
                if code is None:
                    return CodeCheck(outcome, 0)
                if outcome is CodeOutcome.ACCEPTED:
                    conn.execute("UPDATE login_codes SET consumed = 1 WHERE email_key = ?", (key,))
                    return CodeCheck(outcome, code.attempts)
                if outcome is CodeOutcome.MISMATCH:
                    attempts = code.attempts + 1
                    conn.execute(
                        "UPDATE login_codes SET attempts = ? WHERE email_key = ?", (attempts, key)
                    )
                    if attempts >= max_attempts:
                        return CodeCheck(CodeOutcome.EXHAUSTED, attempts)
                    return CodeCheck(outcome, attempts)
                return CodeCheck(outcome, code.attempts)

        return await self._worker.run(run)

    async def delete(self, email: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM login_codes WHERE email_key = ?", (email_key(email),)
                )
            return cur.rowcount > 0

        return await self._worker.run(run)

    async def purge_expired(self, now: datetime) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM login_codes WHERE expires_at <= ?", (to_micros(now),)
                )
            return cur.rowcount

        return await self._worker.run(run)


_SESSION_COLUMNS = (
    "id, user_id, family_id, token_hash, created_at, expires_at, revoked, rotated_to"
)


def _session(row: Row) -> Session:
    id_, user_id, family_id, token_hash, created_at, expires_at, revoked, rotated_to = row
    return Session(
        id=str(id_),
        user_id=str(user_id),
        family_id=str(family_id),
        token_hash=bytes(token_hash),
        created_at=from_micros(int(created_at)),
        expires_at=from_micros(int(expires_at)),
        revoked=bool(revoked),
        rotated_to=None if rotated_to is None else str(rotated_to),
    )


class SQLiteSessionRepository:
    """`SessionRepository` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    @staticmethod
    def _insert(conn: sqlite3.Connection, session: Session) -> None:
        try:
            conn.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (session.id, session.user_id, session.family_id, session.token_hash,
                 to_micros(session.created_at), to_micros(session.expires_at),
                 int(session.revoked), session.rotated_to),
            )
        except sqlite3.IntegrityError as exc:
            raise conflict(exc, _SESSION_FIELDS, "a session") from exc

    async def create(self, session: Session) -> None:
        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._insert(conn, session)

        await self._worker.run(run)

    async def get(self, session_id: str) -> Session | None:
        def run(conn: sqlite3.Connection) -> Session | None:
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", (session_id,)
            ).fetchone()
            return None if row is None else _session(row)

        return await self._worker.run(run)

    async def get_by_token_hash(self, token_hash: bytes) -> Session | None:
        def run(conn: sqlite3.Connection) -> Session | None:
            row = conn.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE token_hash = ?", (token_hash,)
            ).fetchone()
            return None if row is None else _session(row)

        return await self._worker.run(run)

    async def rotate(
        self,
        token_hash: bytes,
        *,
        new_id: str,
        new_token_hash: bytes,
        now: datetime,
        expires_at: datetime | None = None,
    ) -> Rotation:
        check_key(new_id, "new session id")

        def run(conn: sqlite3.Connection) -> Rotation:
            with transaction(conn):
                row = conn.execute(
                    f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE token_hash = ?", (token_hash,)
                ).fetchone()
                previous = None if row is None else _session(row)
                outcome = classify_rotation(previous, now)
                if previous is None or outcome is not RotationOutcome.ROTATED:
                    if outcome is RotationOutcome.REUSED and previous is not None:
                        conn.execute(
                            "UPDATE sessions SET revoked = 1 WHERE family_id = ?",
                            (previous.family_id,),
                        )
                    return Rotation(outcome, previous)
                current = Session(
                    id=new_id,
                    user_id=previous.user_id,
                    family_id=previous.family_id,
                    token_hash=new_token_hash,
                    created_at=now,
                    expires_at=previous.expires_at if expires_at is None else expires_at,
                )
                self._insert(conn, current)
                conn.execute(
                    "UPDATE sessions SET rotated_to = ? WHERE id = ?", (new_id, previous.id)
                )
                return Rotation(outcome, previous, current)

        return await self._worker.run(run)

    async def _revoke_where(self, column: str, value: str) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cur = conn.execute(
                    f"UPDATE sessions SET revoked = 1 WHERE {column} = ? AND revoked = 0",
                    (value,),
                )
            return cur.rowcount

        return await self._worker.run(run)

    async def revoke(self, session_id: str) -> bool:
        return await self._revoke_where("id", session_id) > 0

    async def revoke_family(self, family_id: str) -> int:
        return await self._revoke_where("family_id", family_id)

    async def revoke_user(self, user_id: str) -> int:
        return await self._revoke_where("user_id", user_id)

    async def purge_expired(self, now: datetime) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cur = conn.execute("DELETE FROM sessions WHERE expires_at <= ?", (to_micros(now),))
            return cur.rowcount

        return await self._worker.run(run)


class SQLiteRevokedTokenRepository:
    """`RevokedTokenRepository` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def add(self, token: RevokedToken) -> None:
        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?) "
                    "ON CONFLICT (jti) DO UPDATE SET "
                    "expires_at = max(expires_at, excluded.expires_at)",
                    (token.jti, to_micros(token.expires_at)),
                )

        await self._worker.run(run)

    async def is_revoked(self, jti: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            row = conn.execute("SELECT 1 FROM revoked_tokens WHERE jti = ?", (jti,)).fetchone()
            return row is not None

        return await self._worker.run(run)

    async def purge_expired(self, now: datetime) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM revoked_tokens WHERE expires_at <= ?", (to_micros(now),)
                )
            return cur.rowcount

        return await self._worker.run(run)


_WORKSPACE_COLUMNS = "id, slug, name, created_at"


def _workspace(row: Row) -> Workspace:
    id_, slug, name, created_at = row
    return Workspace(
        id=str(id_),
        slug=str(slug),
        name=str(name),
        created_at=from_micros(int(created_at)),
    )


_MEMBER_COLUMNS = "id, workspace_id, role, kind, user_id, email, brain_id, created_at"


def _member(row: Row) -> Member:
    id_, workspace_id, role, kind, user_id, email, brain_id, created_at = row
    return Member(
        id=str(id_),
        workspace_id=str(workspace_id),
        role=role,
        kind=kind,
        user_id=None if user_id is None else str(user_id),
        email=None if email is None else str(email),
        brain_id=None if brain_id is None else str(brain_id),
        created_at=from_micros(int(created_at)),
    )


def _insert_member(conn: sqlite3.Connection, member: Member) -> None:
    try:
        conn.execute(
            "INSERT INTO members (id, workspace_id, role, kind, user_id, email, email_key, "
            "brain_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (member.id, member.workspace_id, member.role, member.kind, member.user_id,
             member.email, None if member.email is None else email_key(member.email),
             member.brain_id, to_micros(member.created_at)),
        )
    except sqlite3.IntegrityError as exc:
        raise conflict(exc, _MEMBER_FIELDS, "a member") from exc


def _require_workspace(conn: sqlite3.Connection, workspace_id: str) -> None:
    if conn.execute("SELECT 1 FROM workspaces WHERE id = ?", (workspace_id,)).fetchone() is None:
        raise NotFound(f"no workspace with id {workspace_id!r}")


class SQLiteWorkspaceRepository:
    """`WorkspaceRepository` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def create(self, workspace: Workspace, *, owner: Member | None = None) -> None:
        if owner is not None and (owner.workspace_id != workspace.id or owner.role != "owner"):
            raise InvalidRecord(
                "the first member must be an owner of the workspace being created "
                f"(got role {owner.role!r} in workspace {owner.workspace_id!r})"
            )

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                try:
                    conn.execute(
                        f"INSERT INTO workspaces ({_WORKSPACE_COLUMNS}) VALUES (?, ?, ?, ?)",
                        (workspace.id, workspace.slug, workspace.name,
                         to_micros(workspace.created_at)),
                    )
                except sqlite3.IntegrityError as exc:
                    raise conflict(exc, _WORKSPACE_FIELDS, "a workspace") from exc
                if owner is not None:
                    _insert_member(conn, owner)

        await self._worker.run(run)

    async def get(self, workspace_id: str) -> Workspace | None:
        def run(conn: sqlite3.Connection) -> Workspace | None:
            row = conn.execute(
                f"SELECT {_WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?", (workspace_id,)
            ).fetchone()
            return None if row is None else _workspace(row)

        return await self._worker.run(run)

    async def get_by_slug(self, slug: str) -> Workspace | None:
        def run(conn: sqlite3.Connection) -> Workspace | None:
            row = conn.execute(
                f"SELECT {_WORKSPACE_COLUMNS} FROM workspaces WHERE slug = ?", (slug,)
            ).fetchone()
            return None if row is None else _workspace(row)

        return await self._worker.run(run)

    async def update(
        self, workspace_id: str, *, name: str | None = None, slug: str | None = None
    ) -> Workspace:
        def run(conn: sqlite3.Connection) -> Workspace:
            with transaction(conn):
                row = conn.execute(
                    f"SELECT {_WORKSPACE_COLUMNS} FROM workspaces WHERE id = ?", (workspace_id,)
                ).fetchone()
                if row is None:
                    raise NotFound(f"no workspace with id {workspace_id!r}")
                old = _workspace(row)
                new = Workspace(
                    id=old.id,
                    slug=old.slug if slug is None else slug,
                    name=old.name if name is None else name,
                    created_at=old.created_at,
                )
                try:
                    conn.execute(
                        "UPDATE workspaces SET slug = ?, name = ? WHERE id = ?",
                        (new.slug, new.name, new.id),
                    )
                except sqlite3.IntegrityError as exc:
                    raise conflict(exc, _WORKSPACE_FIELDS, "a workspace") from exc
                return new

        return await self._worker.run(run)


class SQLiteMembershipIndex:
    """`MembershipIndex` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def list_for_user(self, user_id: str) -> list[Membership]:
        member_columns = ", ".join(f"m.{c.strip()}" for c in _MEMBER_COLUMNS.split(","))
        workspace_columns = ", ".join(f"w.{c.strip()}" for c in _WORKSPACE_COLUMNS.split(","))

        def run(conn: sqlite3.Connection) -> list[Membership]:
            rows = conn.execute(
                f"SELECT {member_columns}, {workspace_columns} FROM members m "
                "JOIN workspaces w ON w.id = m.workspace_id WHERE m.user_id = ? ORDER BY w.id",
                (user_id,),
            ).fetchall()
            return [Membership(workspace=_workspace(r[8:]), member=_member(r[:8])) for r in rows]

        return await self._worker.run(run)

    async def claim_invitations(self, user_id: str, email: str) -> list[Member]:
        check_key(user_id, "user id")
        key = email_key(email)

        def run(conn: sqlite3.Connection) -> list[Member]:
            claimed: list[Member] = []
            with transaction(conn):
                rows = conn.execute(
                    f"SELECT {_MEMBER_COLUMNS} FROM members WHERE email_key = ? "
                    "AND user_id IS NULL AND kind = 'human' ORDER BY workspace_id",
                    (key,),
                ).fetchall()
                for row in rows:
                    invitation = _member(row)
                    already = conn.execute(
                        "SELECT 1 FROM members WHERE workspace_id = ? AND user_id = ?",
                        (invitation.workspace_id, user_id),
                    ).fetchone()
                    if already is not None:
                        conn.execute(
                            "DELETE FROM members WHERE workspace_id = ? AND id = ?",
                            (invitation.workspace_id, invitation.id),
                        )
                        continue
                    conn.execute(
                        "UPDATE members SET user_id = ? WHERE workspace_id = ? AND id = ?",
                        (user_id, invitation.workspace_id, invitation.id),
                    )
                    claimed.append(
                        Member(
                            id=invitation.id,
                            workspace_id=invitation.workspace_id,
                            role=invitation.role,
                            kind=invitation.kind,
                            created_at=invitation.created_at,
                            user_id=user_id,
                            email=invitation.email,
                        )
                    )
            return claimed

        return await self._worker.run(run)


_DOMAIN_COLUMNS = "domain, workspace_id, created_at"


def _domain(row: Row) -> Domain:
    domain, workspace_id, created_at = row
    return Domain(
        domain=str(domain),
        workspace_id=str(workspace_id),
        created_at=from_micros(int(created_at)),
    )


class SQLiteDomainIndex:
    """`DomainIndex` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def resolve(self, domain: str) -> Domain | None:
        def run(conn: sqlite3.Connection) -> Domain | None:
            row = conn.execute(
                f"SELECT {_DOMAIN_COLUMNS} FROM domains WHERE domain = ?", (domain.lower(),)
            ).fetchone()
            return None if row is None else _domain(row)

        return await self._worker.run(run)


def _owner_count(conn: sqlite3.Connection, workspace_id: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM members WHERE workspace_id = ? AND role = 'owner'", (workspace_id,)
    ).fetchone()
    return int(row[0])


class SQLiteMemberRepository:
    """`MemberRepository` bound to one workspace (rows in ``system.db``)."""

    def __init__(self, worker: ConnectionWorker, workspace_id: str) -> None:
        self._worker = worker
        self._workspace_id = workspace_id

    def _select(self, conn: sqlite3.Connection, member_id: str) -> Member | None:
        row = conn.execute(
            f"SELECT {_MEMBER_COLUMNS} FROM members WHERE workspace_id = ? AND id = ?",
            (self._workspace_id, member_id),
        ).fetchone()
        return None if row is None else _member(row)

    async def add(self, member: Member) -> None:
        if member.workspace_id != self._workspace_id:
            raise InvalidRecord(
                f"member belongs to workspace {member.workspace_id!r}, "
                f"not to this repository's workspace {self._workspace_id!r}"
            )

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _require_workspace(conn, self._workspace_id)
                _insert_member(conn, member)

        await self._worker.run(run)

    async def get(self, member_id: str) -> Member | None:
        return await self._worker.run(lambda conn: self._select(conn, member_id))

    async def get_by_user(self, user_id: str) -> Member | None:
        def run(conn: sqlite3.Connection) -> Member | None:
            row = conn.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE workspace_id = ? AND user_id = ?",
                (self._workspace_id, user_id),
            ).fetchone()
            return None if row is None else _member(row)

        return await self._worker.run(run)

    async def list(self) -> list[Member]:
        def run(conn: sqlite3.Connection) -> list[Member]:
            rows = conn.execute(
                f"SELECT {_MEMBER_COLUMNS} FROM members WHERE workspace_id = ? "
                "ORDER BY created_at, id",
                (self._workspace_id,),
            ).fetchall()
            return [_member(r) for r in rows]

        return await self._worker.run(run)

    async def set_role(self, member_id: str, role: Role) -> Member:
        if role not in ROLES:
            raise InvalidRecord(f"member role must be one of {ROLES}; got {role!r}")

        def run(conn: sqlite3.Connection) -> Member:
            with transaction(conn):
                member = self._select(conn, member_id)
                if member is None:
                    raise NotFound(f"no member {member_id!r} in this workspace")
                if (
                    member.role == "owner"
                    and role != "owner"
                    and _owner_count(conn, self._workspace_id) <= 1
                ):
                    raise LastOwner(
                        "this member is the workspace's only owner; make another member "
                        "owner first", field="role",
                    )
                conn.execute(
                    "UPDATE members SET role = ? WHERE workspace_id = ? AND id = ?",
                    (role, self._workspace_id, member_id),
                )
            return Member(
                id=member.id, workspace_id=member.workspace_id, role=role, kind=member.kind,
                created_at=member.created_at, user_id=member.user_id, email=member.email,
                brain_id=member.brain_id,
            )

        return await self._worker.run(run)

    async def remove(self, member_id: str) -> Member:
        def run(conn: sqlite3.Connection) -> Member:
            with transaction(conn):
                member = self._select(conn, member_id)
                if member is None:
                    raise NotFound(f"no member {member_id!r} in this workspace")
                if member.role == "owner" and _owner_count(conn, self._workspace_id) <= 1:
                    raise LastOwner(
                        "this member is the workspace's only owner; make another member "
                        "owner first or delete the workspace", field="role",
                    )
                conn.execute(
                    "DELETE FROM members WHERE workspace_id = ? AND id = ?",
                    (self._workspace_id, member_id),
                )
            return member

        return await self._worker.run(run)


class SQLiteDomainRepository:
    """`DomainRepository` bound to one workspace (rows in ``system.db``)."""

    def __init__(self, worker: ConnectionWorker, workspace_id: str) -> None:
        self._worker = worker
        self._workspace_id = workspace_id

    async def claim(self, domain: Domain) -> None:
        if domain.workspace_id != self._workspace_id:
            raise InvalidRecord(
                f"domain is for workspace {domain.workspace_id!r}, "
                f"not for this repository's workspace {self._workspace_id!r}"
            )

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _require_workspace(conn, self._workspace_id)
                row = conn.execute(
                    "SELECT workspace_id FROM domains WHERE domain = ?", (domain.domain,)
                ).fetchone()
                if row is not None:
                    if row[0] == self._workspace_id:
                        return
                    raise Conflict(
                        f"domain {domain.domain!r} belongs to another workspace", field="domain"
                    )
                conn.execute(
                    f"INSERT INTO domains ({_DOMAIN_COLUMNS}) VALUES (?, ?, ?)",
                    (domain.domain, self._workspace_id, to_micros(domain.created_at)),
                )

        await self._worker.run(run)

    async def list(self) -> list[Domain]:
        def run(conn: sqlite3.Connection) -> list[Domain]:
            rows = conn.execute(
                f"SELECT {_DOMAIN_COLUMNS} FROM domains WHERE workspace_id = ? ORDER BY domain",
                (self._workspace_id,),
            ).fetchall()
            return [_domain(r) for r in rows]

        return await self._worker.run(run)

    async def release(self, domain: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM domains WHERE domain = ? AND workspace_id = ?",
                    (domain.lower(), self._workspace_id),
                )
            return cur.rowcount > 0

        return await self._worker.run(run)


# ------------------------------------------------------------------ brain hosting


def _feagi_key(row: Row) -> FeagiKey:
    key_hash, workspace_id, brain_id, created_at, revoked = row
    return FeagiKey(
        key_hash=bytes(key_hash),
        workspace_id=str(workspace_id),
        brain_id=str(brain_id),
        created_at=from_micros(int(created_at)),
        revoked=bool(revoked),
    )


_FEAGI_COLUMNS = "key_hash, workspace_id, brain_id, created_at, revoked"


class SQLiteFeagiKeyRepository:
    """`FeagiKeyRepository` on ``system.db``."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def create(self, key: FeagiKey) -> None:
        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _require_workspace(conn, key.workspace_id)
                try:
                    conn.execute(
                        f"INSERT INTO feagi_keys ({_FEAGI_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
                        (key.key_hash, key.workspace_id, key.brain_id,
                         to_micros(key.created_at), int(key.revoked)),
                    )
                except sqlite3.IntegrityError as exc:
                    raise conflict(exc, {"feagi_keys.key_hash": "key_hash"}, "a key") from exc

        await self._worker.run(run)

    async def resolve(self, key_hash: bytes) -> FeagiKey | None:
        def run(conn: sqlite3.Connection) -> FeagiKey | None:
            row = conn.execute(
                f"SELECT {_FEAGI_COLUMNS} FROM feagi_keys WHERE key_hash = ? AND revoked = 0",
                (key_hash,),
            ).fetchone()
            return None if row is None else _feagi_key(row)

        return await self._worker.run(run)

    async def revoke(self, key_hash: bytes) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute(
                    "UPDATE feagi_keys SET revoked = 1 WHERE key_hash = ? AND revoked = 0",
                    (key_hash,),
                )
            return cur.rowcount > 0

        return await self._worker.run(run)

    async def list_for_brain(self, workspace_id: str, brain_id: str) -> list[FeagiKey]:
        def run(conn: sqlite3.Connection) -> list[FeagiKey]:
            rows = conn.execute(
                f"SELECT {_FEAGI_COLUMNS} FROM feagi_keys WHERE workspace_id = ? AND "
                "brain_id = ? ORDER BY created_at, key_hash",
                (workspace_id, brain_id),
            ).fetchall()
            return [_feagi_key(r) for r in rows]

        return await self._worker.run(run)

    async def delete_for_brain(self, workspace_id: str, brain_id: str) -> int:
        def run(conn: sqlite3.Connection) -> int:
            with transaction(conn):
                cur = conn.execute(
                    "DELETE FROM feagi_keys WHERE workspace_id = ? AND brain_id = ?",
                    (workspace_id, brain_id),
                )
            return cur.rowcount

        return await self._worker.run(run)


class SQLiteBrainDirectory:
    """`BrainDirectory` on ``system.db`` (rows go with their workspace: ON DELETE CASCADE)."""

    def __init__(self, worker: ConnectionWorker) -> None:
        self._worker = worker

    async def add(self, brain_id: str, workspace_id: str) -> None:
        check_key(brain_id, "brain id")

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _require_workspace(conn, workspace_id)
                row = conn.execute(
                    "SELECT workspace_id FROM brain_directory WHERE brain_id = ?", (brain_id,)
                ).fetchone()
                if row is not None:
                    if row[0] == workspace_id:
                        return
                    raise Conflict("a brain with this brain_id already exists", field="brain_id")
                conn.execute(
                    "INSERT INTO brain_directory (brain_id, workspace_id) VALUES (?, ?)",
                    (brain_id, workspace_id),
                )

        await self._worker.run(run)

    async def workspace_of(self, brain_id: str) -> str | None:
        def run(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT workspace_id FROM brain_directory WHERE brain_id = ?", (brain_id,)
            ).fetchone()
            return None if row is None else str(row[0])

        return await self._worker.run(run)

    async def remove(self, brain_id: str) -> bool:
        def run(conn: sqlite3.Connection) -> bool:
            with transaction(conn):
                cur = conn.execute("DELETE FROM brain_directory WHERE brain_id = ?", (brain_id,))
            return cur.rowcount > 0

        return await self._worker.run(run)


_RUNNING_BACKFILL = "running_brains"


class SQLiteRunningBrainIndex:
    """`RunningBrainIndex` on ``system.db``; `SQLiteBrainRepository` writes it (`add`,
    `remove`) around its writes to the workspace files."""

    def __init__(self, worker: ConnectionWorker, files: WorkspaceFiles) -> None:
        self._worker = worker
        self._files = files
        self._filled = False
        self._filling = asyncio.Lock()

    async def add(self, workspace_id: str, brain_id: str) -> None:
        """Index a brain (idempotent)."""

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "INSERT INTO running_brains (workspace_id, brain_id) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (workspace_id, brain_id),
                )

        await self._worker.run(run)

    async def remove(self, workspace_id: str, brain_id: str) -> None:
        """Drop a brain's entry, if any."""

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute(
                    "DELETE FROM running_brains WHERE workspace_id = ? AND brain_id = ?",
                    (workspace_id, brain_id),
                )

        await self._worker.run(run)

    async def list(
        self, *, after: RunningBrain | None = None, limit: int = 1000
    ) -> list[RunningBrain]:
        check_positive_limit(limit)
        await self._fill()
        start = ("", "") if after is None else (after.workspace_id, after.brain_id)

        def run(conn: sqlite3.Connection) -> list[RunningBrain]:
            rows = conn.execute(
                "SELECT workspace_id, brain_id FROM running_brains "
                "WHERE (workspace_id, brain_id) > (?, ?) ORDER BY workspace_id, brain_id "
                "LIMIT ?",
                (*start, limit),
            ).fetchall()
            return [RunningBrain(str(ws), str(brain)) for ws, brain in rows]

        return await self._worker.run(run)

    async def _fill(self) -> None:
        """Index the running brains of every workspace file once, if the system database was
        upgraded from a version without the index (its migration leaves a pending row).

        Runs concurrently with brain writes: it may add an entry for a brain stopped
        meanwhile (stale, as the protocol allows) but never drops one.
        """
        if self._filled:
            return
        async with self._filling:
            if self._filled:
                return
            pending = await self._worker.run(
                lambda conn: conn.execute(
                    "SELECT 1 FROM pending_backfills WHERE name = ?", (_RUNNING_BACKFILL,)
                ).fetchone()
                is not None
            )
            if pending:
                workspace_ids = await self._worker.run(
                    lambda conn: [
                        str(row[0])
                        for row in conn.execute("SELECT id FROM workspaces ORDER BY id")
                    ]
                )
                for workspace_id in workspace_ids:
                    await self._fill_workspace(workspace_id)
                await self._worker.run(_backfilled)
            self._filled = True

    async def _fill_workspace(self, workspace_id: str) -> None:
        def running(conn: sqlite3.Connection) -> list[str]:
            rows = conn.execute("SELECT id FROM brains WHERE desired_state = 'running'")
            return [str(row[0]) for row in rows]

        try:
            brain_ids = await self._files.run(workspace_id, running)
        except WorkspaceNotProvisioned:
            return  # no file: no brains

        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.executemany(
                    "INSERT INTO running_brains (workspace_id, brain_id) VALUES (?, ?) "
                    "ON CONFLICT DO NOTHING",
                    [(workspace_id, brain_id) for brain_id in brain_ids],
                )

        if brain_ids:
            await self._worker.run(insert)


def _backfilled(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        conn.execute("DELETE FROM pending_backfills WHERE name = ?", (_RUNNING_BACKFILL,))
