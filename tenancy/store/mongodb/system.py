"""MongoDB system repositories (the system database), and the workspace-bound member and
domain repositories whose documents live there too.

Without multi-document transactions (standalone servers have none), each operation is made
safe by its shape: single-document compare-and-set filters (login codes, rotation),
unique indexes as arbiters (users, slugs, domains, seats), and check-then-compensate for
"a workspace keeps an owner". Timestamps are stored as integer microseconds (``*_us``) for
exact round trips; TTL-indexed collections also carry a BSON date (``expires_at``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tenancy.store._codec import (
    check_max_attempts,
    check_positive_limit,
    from_micros,
    to_micros,
)
from tenancy.store._rules import classify_code, classify_rotation
from tenancy.store.errors import Conflict, InvalidRecord, LastOwner, NotFound, StoreError
from tenancy.store.mongodb._driver import Collection, Document
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

_RACE_RETRIES = 8


def _user_doc(user: User) -> Document:
    return {
        "_id": user.id,
        "email": user.email,
        "email_key": email_key(user.email),
        "display_name": user.display_name,
        "created_at_us": to_micros(user.created_at),
    }


def _user(doc: Document) -> User:
    return User(
        id=doc["_id"],
        email=doc["email"],
        display_name=doc["display_name"],
        created_at=from_micros(doc["created_at_us"]),
    )


class MongoUserRepository:
    """`UserRepository` on the ``users`` collection."""

    def __init__(self, users: Collection) -> None:
        self._users = users

    async def create(self, user: User) -> None:
        try:
            await self._users.insert_one(_user_doc(user))
        except Conflict:
            raise await self._which_conflict(user) from None

    async def _which_conflict(self, user: User) -> Conflict:
        if await self._users.find_one({"_id": user.id}) is not None:
            return Conflict("a user with this id already exists", field="id")
        return Conflict("a user with this email already exists", field="email")

    async def get_or_create(self, user: User) -> tuple[User, bool]:
        key = email_key(user.email)
        for _ in range(_RACE_RETRIES):
            found = await self._users.find_one({"email_key": key})
            if found is not None:
                return _user(found), False
            try:
                await self._users.insert_one(_user_doc(user))
                return user, True
            except Conflict:
                conflict = await self._which_conflict(user)
                if conflict.field == "id":
                    raise conflict from None
                # Lost the race to a concurrent registration of this email: read it back.
        raise StoreError(f"get_or_create: user {key!r} kept changing; retry")

    async def get(self, user_id: str) -> User | None:
        found = await self._users.find_one({"_id": user_id})
        return None if found is None else _user(found)

    async def get_by_email(self, email: str) -> User | None:
        found = await self._users.find_one({"email_key": email_key(email)})
        return None if found is None else _user(found)

    async def update(self, user_id: str, *, display_name: str | None) -> User:
        found = await self._users.find_one_and_update(
            {"_id": user_id}, {"$set": {"display_name": display_name}}
        )
        if found is None:
            raise NotFound(f"no user with id {user_id!r}")
        return _user(found)


def _code(doc: Document) -> LoginCode:
    return LoginCode(
        email=doc["email"],
        code_hmac=bytes(doc["code_hmac"]),
        created_at=from_micros(doc["created_at_us"]),
        expires_at=from_micros(doc["expires_at_us"]),
        attempts=doc["attempts"],
        consumed=doc["consumed"],
    )


class MongoLoginCodeRepository:
    """`LoginCodeRepository` on ``login_codes`` (``_id`` = email key; TTL on ``expires_at``)."""

    def __init__(self, codes: Collection) -> None:
        self._codes = codes

    async def issue(self, code: LoginCode, *, min_interval: timedelta) -> datetime | None:
        key = email_key(code.email)
        document: Document = {
            "_id": key,
            "email": code.email,
            "code_hmac": code.code_hmac,
            "created_at_us": to_micros(code.created_at),
            "expires_at_us": to_micros(code.expires_at),
            "expires_at": code.expires_at,
            "attempts": code.attempts,
            "consumed": code.consumed,
        }
        cutoff = to_micros(code.created_at - min_interval)
        for _ in range(_RACE_RETRIES):
            try:
                # Replaces only a code old enough; a younger one makes the upsert collide on
                # _id, which is the "too soon" answer.
                await self._codes.replace_one(
                    {"_id": key, "created_at_us": {"$lte": cutoff}}, document, upsert=True
                )
                return None
            except Conflict:
                current = await self._codes.find_one({"_id": key})
                if current is not None:
                    return from_micros(current["created_at_us"]) + min_interval
        raise StoreError(f"issue: login code of {key!r} kept changing; retry")

    async def get(self, email: str) -> LoginCode | None:
        found = await self._codes.find_one({"_id": email_key(email)})
        return None if found is None else _code(found)

    async def check(
        self, email: str, code_hmac: bytes, *, now: datetime, max_attempts: int
    ) -> CodeCheck:
        check_max_attempts(max_attempts)
        key = email_key(email)
        live: dict[str, Any] = {
            "_id": key,
            "consumed": False,
            "attempts": {"$lt": max_attempts},
            "expires_at_us": {"$gt": to_micros(now)},
        }
        for _ in range(_RACE_RETRIES):
            accepted = await self._codes.find_one_and_update(
                {**live, "code_hmac": code_hmac}, {"$set": {"consumed": True}}
            )
            if accepted is not None:
                return CodeCheck(CodeOutcome.ACCEPTED, accepted["attempts"])
            missed = await self._codes.find_one_and_update(
                {**live, "code_hmac": {"$ne": code_hmac}}, {"$inc": {"attempts": 1}}
            )
            if missed is not None:
                attempts = int(missed["attempts"])
                if attempts >= max_attempts:
                    return CodeCheck(CodeOutcome.EXHAUSTED, attempts)
                return CodeCheck(CodeOutcome.MISMATCH, attempts)
            found = await self._codes.find_one({"_id": key})
            code = None if found is None else _code(found)
            outcome = classify_code(code, code_hmac, now, max_attempts)
            if outcome not in (CodeOutcome.ACCEPTED, CodeOutcome.MISMATCH):
                return CodeCheck(outcome, 0 if code is None else code.attempts)
            # The code changed between the conditional updates and this read: try again.
        raise StoreError(f"check: login code of {key!r} kept changing; retry")

    async def delete(self, email: str) -> bool:
        return await self._codes.delete_one({"_id": email_key(email)}) > 0

    async def purge_expired(self, now: datetime) -> int:
        return await self._codes.delete_many({"expires_at_us": {"$lte": to_micros(now)}})


def _session_doc(session: Session) -> Document:
    return {
        "_id": session.id,
        "user_id": session.user_id,
        "family_id": session.family_id,
        "token_hash": session.token_hash,
        "created_at_us": to_micros(session.created_at),
        "expires_at_us": to_micros(session.expires_at),
        "expires_at": session.expires_at,
        "revoked": session.revoked,
        "rotated_to": session.rotated_to,
    }


def _session(doc: Document) -> Session:
    return Session(
        id=doc["_id"],
        user_id=doc["user_id"],
        family_id=doc["family_id"],
        token_hash=bytes(doc["token_hash"]),
        created_at=from_micros(doc["created_at_us"]),
        expires_at=from_micros(doc["expires_at_us"]),
        revoked=doc["revoked"],
        rotated_to=doc["rotated_to"],
    )


class MongoSessionRepository:
    """`SessionRepository` on ``sessions`` (unique token hash; TTL on ``expires_at``)."""

    def __init__(self, sessions: Collection) -> None:
        self._sessions = sessions

    async def create(self, session: Session) -> None:
        try:
            await self._sessions.insert_one(_session_doc(session))
        except Conflict:
            if await self._sessions.find_one({"_id": session.id}) is not None:
                raise Conflict("a session with this id already exists", field="id") from None
            raise Conflict(
                "a session with this token hash already exists", field="token_hash"
            ) from None

    async def get(self, session_id: str) -> Session | None:
        found = await self._sessions.find_one({"_id": session_id})
        return None if found is None else _session(found)

    async def get_by_token_hash(self, token_hash: bytes) -> Session | None:
        found = await self._sessions.find_one({"token_hash": token_hash})
        return None if found is None else _session(found)

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
        found = await self._sessions.find_one({"token_hash": token_hash})
        previous = None if found is None else _session(found)
        outcome = classify_rotation(previous, now)
        if previous is None or outcome is not RotationOutcome.ROTATED:
            return await self._refuse(previous, outcome)
        current = Session(
            id=new_id,
            user_id=previous.user_id,
            family_id=previous.family_id,
            token_hash=new_token_hash,
            created_at=now,
            expires_at=previous.expires_at if expires_at is None else expires_at,
        )
        # The successor is stored first but is unreachable until the compare-and-set below
        # links it; if another rotation wins, it is removed again.
        await self.create(current)
        linked = await self._sessions.find_one_and_update(
            {
                "_id": previous.id,
                "rotated_to": None,
                "revoked": False,
                "expires_at_us": {"$gt": to_micros(now)},
            },
            {"$set": {"rotated_to": new_id}},
        )
        if linked is not None:
            return Rotation(RotationOutcome.ROTATED, previous, current)
        await self._sessions.delete_one({"_id": new_id})
        found = await self._sessions.find_one({"_id": previous.id})
        previous = None if found is None else _session(found)
        return await self._refuse(previous, classify_rotation(previous, now))

    async def _refuse(self, previous: Session | None, outcome: RotationOutcome) -> Rotation:
        if outcome is RotationOutcome.REUSED and previous is not None:
            await self._sessions.update_many(
                {"family_id": previous.family_id}, {"$set": {"revoked": True}}
            )
        if outcome is RotationOutcome.ROTATED:
            # Only reachable when the stored session vanished mid-rotation (purged).
            outcome = RotationOutcome.UNKNOWN
        return Rotation(outcome, previous)

    async def revoke(self, session_id: str) -> bool:
        changed = await self._sessions.update_one(
            {"_id": session_id, "revoked": False}, {"$set": {"revoked": True}}
        )
        return changed > 0

    async def revoke_family(self, family_id: str) -> int:
        return await self._sessions.update_many(
            {"family_id": family_id, "revoked": False}, {"$set": {"revoked": True}}
        )

    async def revoke_user(self, user_id: str) -> int:
        return await self._sessions.update_many(
            {"user_id": user_id, "revoked": False}, {"$set": {"revoked": True}}
        )

    async def purge_expired(self, now: datetime) -> int:
        return await self._sessions.delete_many({"expires_at_us": {"$lte": to_micros(now)}})


class MongoRevokedTokenRepository:
    """`RevokedTokenRepository` on ``revoked_tokens`` (``_id`` = jti; TTL on ``expires_at``)."""

    def __init__(self, revoked: Collection) -> None:
        self._revoked = revoked

    async def add(self, token: RevokedToken) -> None:
        await self._revoked.update_one(
            {"_id": token.jti},
            {"$max": {"expires_at_us": to_micros(token.expires_at),
                      "expires_at": token.expires_at}},
            upsert=True,
        )

    async def is_revoked(self, jti: str) -> bool:
        return await self._revoked.find_one({"_id": jti}) is not None

    async def purge_expired(self, now: datetime) -> int:
        return await self._revoked.delete_many({"expires_at_us": {"$lte": to_micros(now)}})


def _workspace_doc(workspace: Workspace) -> Document:
    return {
        "_id": workspace.id,
        "slug": workspace.slug,
        "name": workspace.name,
        "created_at_us": to_micros(workspace.created_at),
    }


def _workspace(doc: Document) -> Workspace:
    return Workspace(
        id=doc["_id"], slug=doc["slug"], name=doc["name"],
        created_at=from_micros(doc["created_at_us"]),
    )


def member_doc_id(workspace_id: str, member_id: str) -> str:
    """Members are unique per workspace; ids cannot contain '/', so this key is unambiguous."""
    return f"{workspace_id}/{member_id}"


def _member_doc(member: Member) -> Document:
    return {
        "_id": member_doc_id(member.workspace_id, member.id),
        "id": member.id,
        "workspace_id": member.workspace_id,
        "role": member.role,
        "kind": member.kind,
        "user_id": member.user_id,
        "email": member.email,
        "email_key": None if member.email is None else email_key(member.email),
        "brain_id": member.brain_id,
        "created_at_us": to_micros(member.created_at),
    }


def _member(doc: Document) -> Member:
    return Member(
        id=doc["id"],
        workspace_id=doc["workspace_id"],
        role=doc["role"],
        kind=doc["kind"],
        user_id=doc["user_id"],
        email=doc["email"],
        brain_id=doc["brain_id"],
        created_at=from_micros(doc["created_at_us"]),
    )


async def _insert_member(members: Collection, member: Member) -> None:
    try:
        await members.insert_one(_member_doc(member))
    except Conflict:
        ws = member.workspace_id
        if await members.find_one({"_id": member_doc_id(ws, member.id)}) is not None:
            raise Conflict("a member with this id already exists", field="id") from None
        if member.user_id is not None and await members.find_one(
            {"workspace_id": ws, "user_id": member.user_id}
        ) is not None:
            raise Conflict(
                "this user is already a member of the workspace", field="user_id"
            ) from None
        raise Conflict("a member with this email already exists", field="email") from None


class MongoWorkspaceRepository:
    """`WorkspaceRepository` on ``workspaces`` (unique slug)."""

    def __init__(self, workspaces: Collection, members: Collection) -> None:
        self._workspaces = workspaces
        self._members = members

    async def create(self, workspace: Workspace, *, owner: Member | None = None) -> None:
        if owner is not None and (owner.workspace_id != workspace.id or owner.role != "owner"):
            raise InvalidRecord(
                "the first member must be an owner of the workspace being created "
                f"(got role {owner.role!r} in workspace {owner.workspace_id!r})"
            )
        try:
            await self._workspaces.insert_one(_workspace_doc(workspace))
        except Conflict:
            if await self._workspaces.find_one({"_id": workspace.id}) is not None:
                raise Conflict("a workspace with this id already exists", field="id") from None
            raise Conflict("a workspace with this slug already exists", field="slug") from None
        if owner is not None:
            try:
                await _insert_member(self._members, owner)
            except BaseException:
                # No transaction: undo the workspace so no ownerless workspace remains.
                await self._workspaces.delete_one({"_id": workspace.id})
                raise

    async def get(self, workspace_id: str) -> Workspace | None:
        found = await self._workspaces.find_one({"_id": workspace_id})
        return None if found is None else _workspace(found)

    async def get_by_slug(self, slug: str) -> Workspace | None:
        found = await self._workspaces.find_one({"slug": slug})
        return None if found is None else _workspace(found)

    async def update(
        self, workspace_id: str, *, name: str | None = None, slug: str | None = None
    ) -> Workspace:
        current = await self.get(workspace_id)
        if current is None:
            raise NotFound(f"no workspace with id {workspace_id!r}")
        new = Workspace(
            id=current.id,
            slug=current.slug if slug is None else slug,
            name=current.name if name is None else name,
            created_at=current.created_at,
        )
        try:
            found = await self._workspaces.find_one_and_update(
                {"_id": workspace_id}, {"$set": {"slug": new.slug, "name": new.name}}
            )
        except Conflict:
            raise Conflict("a workspace with this slug already exists", field="slug") from None
        if found is None:
            raise NotFound(f"no workspace with id {workspace_id!r}")
        return _workspace(found)


class MongoMembershipIndex:
    """`MembershipIndex` over ``members`` and ``workspaces``."""

    def __init__(self, workspaces: Collection, members: Collection) -> None:
        self._workspaces = workspaces
        self._members = members

    async def list_for_user(self, user_id: str) -> list[Membership]:
        seats = await self._members.find({"user_id": user_id})
        by_workspace = {doc["workspace_id"]: _member(doc) for doc in seats}
        if not by_workspace:
            return []
        workspaces = await self._workspaces.find(
            {"_id": {"$in": sorted(by_workspace)}}, sort=[("_id", 1)]
        )
        return [
            Membership(workspace=_workspace(doc), member=by_workspace[doc["_id"]])
            for doc in workspaces
        ]

    async def claim_invitations(self, user_id: str, email: str) -> list[Member]:
        check_key(user_id, "user id")
        pending = await self._members.find(
            {"email_key": email_key(email), "user_id": None, "kind": "human"},
            sort=[("workspace_id", 1)],
        )
        claimed: list[Member] = []
        for doc in pending:
            try:
                updated = await self._members.find_one_and_update(
                    {"_id": doc["_id"], "user_id": None}, {"$set": {"user_id": user_id}}
                )
            except Conflict:
                # Already a member of that workspace: the invitation is redundant.
                await self._members.delete_one({"_id": doc["_id"], "user_id": None})
                continue
            if updated is not None:
                claimed.append(_member(updated))
        return claimed


def _domain(doc: Document) -> Domain:
    return Domain(
        domain=doc["_id"], workspace_id=doc["workspace_id"],
        created_at=from_micros(doc["created_at_us"]),
    )


class MongoDomainIndex:
    """`DomainIndex` on ``domains`` (``_id`` = domain)."""

    def __init__(self, domains: Collection) -> None:
        self._domains = domains

    async def resolve(self, domain: str) -> Domain | None:
        found = await self._domains.find_one({"_id": domain.lower()})
        return None if found is None else _domain(found)


async def _require_workspace(workspaces: Collection, workspace_id: str) -> None:
    if await workspaces.find_one({"_id": workspace_id}) is None:
        raise NotFound(f"no workspace with id {workspace_id!r}")


class MongoMemberRepository:
    """`MemberRepository` bound to one workspace (documents in the system ``members``)."""

    def __init__(self, workspaces: Collection, members: Collection, workspace_id: str) -> None:
        self._workspaces = workspaces
        self._members = members
        self._workspace_id = workspace_id

    def _key(self, member_id: str) -> dict[str, str]:
        return {"_id": member_doc_id(self._workspace_id, member_id),
                "workspace_id": self._workspace_id}

    async def _owners(self) -> int:
        return await self._members.count({"workspace_id": self._workspace_id, "role": "owner"})

    async def add(self, member: Member) -> None:
        if member.workspace_id != self._workspace_id:
            raise InvalidRecord(
                f"member belongs to workspace {member.workspace_id!r}, "
                f"not to this repository's workspace {self._workspace_id!r}"
            )
        await _require_workspace(self._workspaces, self._workspace_id)
        await _insert_member(self._members, member)

    async def get(self, member_id: str) -> Member | None:
        found = await self._members.find_one(self._key(member_id))
        return None if found is None else _member(found)

    async def get_by_user(self, user_id: str) -> Member | None:
        found = await self._members.find_one(
            {"workspace_id": self._workspace_id, "user_id": user_id}
        )
        return None if found is None else _member(found)

    async def list(self) -> list[Member]:
        docs = await self._members.find(
            {"workspace_id": self._workspace_id}, sort=[("created_at_us", 1), ("id", 1)]
        )
        return [_member(doc) for doc in docs]

    def _last_owner(self, action: str) -> LastOwner:
        return LastOwner(
            f"this member is the workspace's only owner; make another member owner first"
            f"{action}", field="role",
        )

    async def set_role(self, member_id: str, role: Role) -> Member:
        if role not in ROLES:
            raise InvalidRecord(f"member role must be one of {ROLES}; got {role!r}")
        current = await self.get(member_id)
        if current is None:
            raise NotFound(f"no member {member_id!r} in this workspace")
        demoting = current.role == "owner" and role != "owner"
        if demoting and await self._owners() <= 1:
            raise self._last_owner("")
        updated = await self._members.find_one_and_update(
            self._key(member_id), {"$set": {"role": role}}
        )
        if updated is None:
            raise NotFound(f"no member {member_id!r} in this workspace")
        if demoting and await self._owners() == 0:
            # A concurrent demotion/removal raced this one: restore and refuse.
            await self._members.update_one(self._key(member_id), {"$set": {"role": "owner"}})
            raise self._last_owner("")
        return _member(updated)

    async def remove(self, member_id: str) -> Member:
        current = await self.get(member_id)
        if current is None:
            raise NotFound(f"no member {member_id!r} in this workspace")
        if current.role == "owner" and await self._owners() <= 1:
            raise self._last_owner(" or delete the workspace")
        removed = await self._members.find_one_and_delete(self._key(member_id))
        if removed is None:
            raise NotFound(f"no member {member_id!r} in this workspace")
        if removed["role"] == "owner" and await self._owners() == 0:
            await self._members.insert_one(removed)
            raise self._last_owner(" or delete the workspace")
        return _member(removed)


class MongoDomainRepository:
    """`DomainRepository` bound to one workspace (documents in the system ``domains``)."""

    def __init__(self, workspaces: Collection, domains: Collection, workspace_id: str) -> None:
        self._workspaces = workspaces
        self._domains = domains
        self._workspace_id = workspace_id

    async def claim(self, domain: Domain) -> None:
        if domain.workspace_id != self._workspace_id:
            raise InvalidRecord(
                f"domain is for workspace {domain.workspace_id!r}, "
                f"not for this repository's workspace {self._workspace_id!r}"
            )
        await _require_workspace(self._workspaces, self._workspace_id)
        try:
            await self._domains.insert_one(
                {"_id": domain.domain, "workspace_id": self._workspace_id,
                 "created_at_us": to_micros(domain.created_at)}
            )
        except Conflict:
            owner = await self._domains.find_one({"_id": domain.domain})
            if owner is not None and owner["workspace_id"] == self._workspace_id:
                return
            raise Conflict(
                f"domain {domain.domain!r} belongs to another workspace", field="domain"
            ) from None

    async def list(self) -> list[Domain]:
        docs = await self._domains.find({"workspace_id": self._workspace_id}, sort=[("_id", 1)])
        return [_domain(doc) for doc in docs]

    async def release(self, domain: str) -> bool:
        deleted = await self._domains.delete_one(
            {"_id": domain.lower(), "workspace_id": self._workspace_id}
        )
        return deleted > 0


# ------------------------------------------------------------------ brain hosting


def _feagi_key(doc: Document) -> FeagiKey:
    return FeagiKey(
        key_hash=bytes(doc["_id"]),
        workspace_id=doc["workspace_id"],
        brain_id=doc["brain_id"],
        created_at=from_micros(doc["created_at_us"]),
        revoked=bool(doc["revoked"]),
    )


class MongoFeagiKeyRepository:
    """`FeagiKeyRepository` on ``feagi_keys`` (``_id`` = the key hash)."""

    def __init__(self, keys: Collection, workspaces: Collection) -> None:
        self._keys = keys
        self._workspaces = workspaces

    async def create(self, key: FeagiKey) -> None:
        await _require_workspace(self._workspaces, key.workspace_id)
        try:
            await self._keys.insert_one(
                {"_id": key.key_hash, "workspace_id": key.workspace_id,
                 "brain_id": key.brain_id, "created_at_us": to_micros(key.created_at),
                 "revoked": key.revoked}
            )
        except Conflict:
            raise Conflict("a key with this key_hash already exists", field="key_hash") from None

    async def resolve(self, key_hash: bytes) -> FeagiKey | None:
        found = await self._keys.find_one({"_id": key_hash, "revoked": False})
        return None if found is None else _feagi_key(found)

    async def revoke(self, key_hash: bytes) -> bool:
        changed = await self._keys.update_one(
            {"_id": key_hash, "revoked": False}, {"$set": {"revoked": True}}
        )
        return changed > 0

    async def list_for_brain(self, workspace_id: str, brain_id: str) -> list[FeagiKey]:
        docs = await self._keys.find(
            {"workspace_id": workspace_id, "brain_id": brain_id},
            sort=[("created_at_us", 1), ("_id", 1)],
        )
        return [_feagi_key(d) for d in docs]

    async def delete_for_brain(self, workspace_id: str, brain_id: str) -> int:
        return await self._keys.delete_many({"workspace_id": workspace_id, "brain_id": brain_id})


class MongoBrainDirectory:
    """`BrainDirectory` on ``brain_directory`` (``_id`` = brain id)."""

    def __init__(self, directory: Collection, workspaces: Collection) -> None:
        self._directory = directory
        self._workspaces = workspaces

    async def add(self, brain_id: str, workspace_id: str) -> None:
        check_key(brain_id, "brain id")
        await _require_workspace(self._workspaces, workspace_id)
        try:
            await self._directory.insert_one({"_id": brain_id, "workspace_id": workspace_id})
        except Conflict:
            if await self.workspace_of(brain_id) == workspace_id:
                return
            raise Conflict("a brain with this brain_id already exists", field="brain_id") from None

    async def workspace_of(self, brain_id: str) -> str | None:
        found = await self._directory.find_one({"_id": brain_id})
        return None if found is None else str(found["workspace_id"])

    async def remove(self, brain_id: str) -> bool:
        return await self._directory.delete_one({"_id": brain_id}) > 0


_RUNNING_BACKFILL = "running_brains"


class MongoRunningBrainIndex:
    """`RunningBrainIndex` on ``running_brains`` (``_id`` = ``<workspace id>/<brain id>``);
    `MongoBrainRepository` writes it (`add`, `remove`) around its writes to ``brains``.

    ``backfills`` records one-time fills done (``_id`` = their name); ``workspaces_with_storage``
    lists provisioned workspaces; ``brains_of(workspace_id)`` is a workspace's ``brains``
    collection, whichever the layout.
    """

    def __init__(
        self,
        entries: Collection,
        backfills: Collection,
        workspaces_with_storage: Collection,
        brains_of: Callable[[str], Collection],
    ) -> None:
        self._entries = entries
        self._backfills = backfills
        self._storage = workspaces_with_storage
        self._brains_of = brains_of
        self._filled = False
        self._filling = asyncio.Lock()

    async def add(self, workspace_id: str, brain_id: str) -> None:
        """Index a brain (idempotent)."""
        # A concurrent upsert of the same entry can lose the insert race with a duplicate
        # key error: the entry exists either way.
        with contextlib.suppress(Conflict):
            await self._entries.update_one(
                {"_id": f"{workspace_id}/{brain_id}"},
                {"$setOnInsert": {"workspace_id": workspace_id, "brain_id": brain_id}},
                upsert=True,
            )

    async def remove(self, workspace_id: str, brain_id: str) -> None:
        """Drop a brain's entry, if any."""
        await self._entries.delete_one({"_id": f"{workspace_id}/{brain_id}"})

    async def list(
        self, *, after: RunningBrain | None = None, limit: int = 1000
    ) -> list[RunningBrain]:
        check_positive_limit(limit)
        await self._fill()
        query: dict[str, Any] = {}
        if after is not None:
            query = {"$or": [
                {"workspace_id": {"$gt": after.workspace_id}},
                {"workspace_id": after.workspace_id, "brain_id": {"$gt": after.brain_id}},
            ]}
        docs = await self._entries.find(
            query, sort=[("workspace_id", 1), ("brain_id", 1)], limit=limit
        )
        return [RunningBrain(doc["workspace_id"], doc["brain_id"]) for doc in docs]

    async def _fill(self) -> None:
        """Index the running brains of every provisioned workspace once, if this database was
        written by a version without the index (no ``running_brains`` backfill recorded).

        Runs concurrently with brain writes: it may add an entry for a brain stopped
        meanwhile (stale, as the protocol allows) but never drops one.
        """
        if self._filled:
            return
        async with self._filling:
            if self._filled:
                return
            if await self._backfills.find_one({"_id": _RUNNING_BACKFILL}) is None:
                markers = await self._storage.find({}, sort=[("_id", 1)])
                for marker in markers:
                    workspace_id = str(marker["_id"])
                    running = await self._brains_of(workspace_id).find(
                        {"workspace_id": workspace_id, "desired_state": "running"},
                        projection={"id": 1},
                    )
                    for doc in running:
                        await self.add(workspace_id, doc["id"])
                await self._backfills.update_one(
                    {"_id": _RUNNING_BACKFILL},
                    {"$setOnInsert": {"done_at_us": to_micros(datetime.now(UTC))}},
                    upsert=True,
                )
            self._filled = True
