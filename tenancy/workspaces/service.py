"""Workspaces, their members, installed apps and domains, with authorization.

Every operation on one workspace goes through `WorkspaceService.access(user, ws, role)`,
which answers `NotFoundError` for a workspace that does not exist *and* for one the
caller is not a member of (so existence is never leaked), and `ForbiddenError` when the
caller is a member whose role is too low. The returned `Access` is then the only way to
reach that workspace's repositories.

Seats found by `access` are remembered for `access_cache_ttl_s` (default 1 s) so a busy
client does not cost two store reads per request; every change made through this service
to a workspace or its members forgets them at once, one made by another process is seen
within that time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from tenancy.auth.codes import normalize_email
from tenancy.auth.service import new_id
from tenancy.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    LastOwnerError,
    NotFoundError,
    QuotaExceededError,
)
from tenancy.recent_answers import RecentAnswers
from tenancy.store import (
    Conflict,
    Domain,
    InstalledApp,
    InvalidRecord,
    Member,
    Membership,
    NotFound,
    Role,
    Store,
    User,
    Workspace,
    WorkspaceStore,
    check_key,
)
from tenancy.store import LastOwner as StoreLastOwner
from tenancy.workspaces.apps import AppRegistry
from tenancy.workspaces.domains import DomainResolver
from tenancy.workspaces.names import check_slug, check_workspace_name, normalize_domain
from tenancy.workspaces.roles import check_manage_member, role_at_least

__all__ = ["Access", "WorkspaceLimits", "WorkspaceService"]

_log = structlog.get_logger("brainhost.workspaces")
_NOT_FOUND = "no such workspace"


@dataclass(frozen=True, slots=True)
class Access:
    """A caller's verified seat in one workspace."""

    workspace: Workspace
    member: Member
    data: WorkspaceStore

    @property
    def role(self) -> Role:
        return self.member.role


@dataclass(frozen=True, slots=True)
class WorkspaceLimits:
    """Count limits; checked before each insert (concurrent inserts may overshoot by one)."""

    workspaces_per_user: int = 100
    members_per_workspace: int = 1000
    domains_per_workspace: int = 100


@contextmanager
def _store_errors() -> Iterator[None]:
    """Translate store errors into tenancy errors with actionable messages."""
    try:
        yield
    except StoreLastOwner:
        raise LastOwnerError("a workspace needs an owner: make someone else owner first") from None
    except Conflict as exc:
        field = exc.field or "id"
        raise ConflictError(str(exc), fields={field: "already taken"}) from None
    except NotFound as exc:
        raise NotFoundError(str(exc)) from None
    except InvalidRecord as exc:
        raise InvalidInputError(str(exc)) from None


class WorkspaceService:
    """Tenancy operations over one `Store`, checked against the caller's role."""

    def __init__(
        self,
        store: Store,
        registry: AppRegistry,
        *,
        resolver: DomainResolver | None = None,
        limits: WorkspaceLimits | None = None,
        clock: Callable[[], float] = time.time,
        access_cache_ttl_s: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.registry = registry
        self.limits = limits if limits is not None else WorkspaceLimits()
        self.resolver = resolver if resolver is not None else DomainResolver(store.domains)
        self._clock = clock
        # (user id, workspace id) -> that user's seat; only found seats are remembered.
        self._seats: RecentAnswers[tuple[str, str], Access] = RecentAnswers(
            "access", access_cache_ttl_s, clock=monotonic
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # ------------------------------------------------------------------ workspaces

    async def create(self, user: User | str, name: str, slug: str) -> Workspace:
        """A new workspace owned by `user`, with its storage provisioned."""
        user_id = user.id if isinstance(user, User) else user
        name = check_workspace_name(name)
        slug = check_slug(slug)
        owned = [m for m in await self.list_for(user_id) if m.member.role == "owner"]
        if len(owned) >= self.limits.workspaces_per_user:
            raise QuotaExceededError(
                f"you own {len(owned)} workspaces, the most allowed; delete one first"
            )
        now = self._now()
        workspace = Workspace(id=new_id("ws"), slug=slug, name=name, created_at=now)
        owner = Member(
            id=new_id("mem"),
            workspace_id=workspace.id,
            role="owner",
            kind="human",
            created_at=now,
            user_id=user_id,
        )
        with _store_errors():
            await self.store.workspaces.create(workspace, owner=owner)
        try:
            await self.store.provision_workspace(workspace.id)
        except BaseException:
            await self.store.drop_workspace(workspace.id)
            raise
        _log.info("workspace_created", workspace=workspace.id, slug=slug, owner=user_id)
        return workspace

    async def list_for(self, user_id: str) -> list[Membership]:
        """The caller's workspaces with their seats."""
        return await self.store.memberships.list_for_user(user_id)

    async def access(self, user_id: str, workspace_id: str, minimum: Role = "member") -> Access:
        """The caller's seat in `workspace_id` if it has at least role `minimum`."""
        seat = self._seats.get((user_id, workspace_id))
        if seat is None:
            seat = await self._find_seat(user_id, workspace_id)
            self._seats.keep((user_id, workspace_id), seat)
        if not role_at_least(seat.role, minimum):
            raise ForbiddenError(f"this needs the {minimum} role; you are {seat.role}")
        return seat

    async def _find_seat(self, user_id: str, workspace_id: str) -> Access:
        try:
            check_key(workspace_id, "workspace id")
        except InvalidRecord:
            raise NotFoundError(_NOT_FOUND) from None
        workspace = await self.store.workspaces.get(workspace_id)
        if workspace is None:
            raise NotFoundError(_NOT_FOUND)
        data = self.store.workspace(workspace_id)
        member = await data.members.get_by_user(user_id)
        if member is None:
            raise NotFoundError(_NOT_FOUND)
        return Access(workspace=workspace, member=member, data=data)

    async def update(
        self, access: Access, *, name: str | None = None, slug: str | None = None
    ) -> Workspace:
        """Rename and/or re-slug (admin)."""
        self._require(access, "admin")
        name = check_workspace_name(name) if name is not None else None
        slug = check_slug(slug) if slug is not None else None
        with self._seats.changing(), _store_errors():
            return await self.store.workspaces.update(access.workspace.id, name=name, slug=slug)

    async def delete(self, access: Access, confirm_slug: str) -> None:
        """Delete the workspace and all its data (owner; `confirm_slug` must be its slug)."""
        self._require(access, "owner")
        if confirm_slug != access.workspace.slug:
            raise InvalidInputError(
                "to delete a workspace, confirm with its slug",
                fields={"confirm": f"type the workspace's slug, {access.workspace.slug!r}"},
            )
        domains = await access.data.domains.list()
        with self._seats.changing():
            await self.store.drop_workspace(access.workspace.id)
        for domain in domains:
            self.resolver.invalidate(domain.domain)
        _log.info("workspace_deleted", workspace=access.workspace.id)

    # --------------------------------------------------------------------- members

    async def list_members(self, access: Access) -> list[Member]:
        return await access.data.members.list()

    async def invite(self, access: Access, email: str, role: Role) -> Member:
        """Seat `email`: directly when they have an account, else as a pending invitation."""
        check_manage_member(access.role, "member", role)
        address = normalize_email(email)
        await self._check_member_quota(access)
        user = await self.store.users.get_by_email(address)
        member = Member(
            id=new_id("mem"),
            workspace_id=access.workspace.id,
            role=role,
            kind="human",
            created_at=self._now(),
            user_id=user.id if user is not None else None,
            email=address,
        )
        with _store_errors():
            await access.data.members.add(member)
        _log.info(
            "member_invited",
            workspace=access.workspace.id,
            member=member.id,
            pending=member.pending,
        )
        return member

    async def add_digital(
        self, access: Access, brain_id: str, role: Role, email: str | None = None
    ) -> Member:
        """Seat a digital human bound to a brain of this workspace."""
        check_manage_member(access.role, "member", role)
        try:
            check_key(brain_id, "brain id")
        except InvalidRecord as exc:
            raise InvalidInputError(
                str(exc), fields={"brain_id": "1-48 letters, digits, _ or -"}
            ) from None
        if await access.data.brains.get(brain_id) is None:
            raise NotFoundError(f"no brain {brain_id!r} in this workspace")
        await self._check_member_quota(access)
        member = Member(
            id=new_id("mem"),
            workspace_id=access.workspace.id,
            role=role,
            kind="digital",
            created_at=self._now(),
            brain_id=brain_id,
            email=normalize_email(email) if email is not None else None,
        )
        with _store_errors():
            await access.data.members.add(member)
        return member

    async def _check_member_quota(self, access: Access) -> None:
        count = len(await access.data.members.list())
        if count >= self.limits.members_per_workspace:
            raise QuotaExceededError(
                f"this workspace has {count} members, the most allowed; remove one first"
            )

    async def _member(self, access: Access, member_id: str) -> Member:
        try:
            check_key(member_id, "member id")
        except InvalidRecord:
            raise NotFoundError(f"no member {member_id!r} in this workspace") from None
        member = await access.data.members.get(member_id)
        if member is None:
            raise NotFoundError(f"no member {member_id!r} in this workspace")
        return member

    async def set_role(self, access: Access, member_id: str, role: Role) -> Member:
        """Change a seat's role (admins for non-owners, owners for anyone)."""
        target = await self._member(access, member_id)
        check_manage_member(access.role, target.role, role)
        with self._seats.changing(), _store_errors():
            return await access.data.members.set_role(member_id, role)

    async def remove_member(self, access: Access, member_id: str) -> Member:
        """Remove a seat; anyone may leave, admins/owners remove others."""
        target = await self._member(access, member_id)
        if target.id != access.member.id:
            check_manage_member(access.role, target.role)
        with self._seats.changing(), _store_errors():
            removed = await access.data.members.remove(member_id)
        _log.info("member_removed", workspace=access.workspace.id, member=member_id)
        return removed

    # ------------------------------------------------------------------------ apps

    async def list_apps(self, access: Access) -> list[InstalledApp]:
        return await access.data.apps.list()

    async def install_app(
        self, access: Access, app_id: str, settings: Mapping[str, Any]
    ) -> InstalledApp:
        """Install (or reconfigure) a registry app with schema-validated settings (admin)."""
        self._require(access, "admin")
        definition = self.registry.get(app_id)
        valid = self.registry.validate_settings(app_id, settings)
        app = InstalledApp(
            app_id=definition.id,
            version=definition.version,
            settings=valid,
            installed_at=self._now(),
        )
        with _store_errors():
            await access.data.apps.put(app)
        return app

    async def uninstall_app(self, access: Access, app_id: str) -> None:
        self._require(access, "admin")
        try:
            check_key(app_id, "app id")
        except InvalidRecord:
            raise NotFoundError(f"app {app_id!r} is not installed") from None
        if not await access.data.apps.remove(app_id):
            raise NotFoundError(f"app {app_id!r} is not installed")

    # --------------------------------------------------------------------- domains

    async def list_domains(self, access: Access) -> list[Domain]:
        return await access.data.domains.list()

    async def claim_domain(self, access: Access, domain: str) -> Domain:
        """Own `domain` (admin); `ConflictError` when another workspace owns it."""
        self._require(access, "admin")
        name = normalize_domain(domain)
        owned = [d.domain for d in await access.data.domains.list()]
        if name not in owned and len(owned) >= self.limits.domains_per_workspace:
            raise QuotaExceededError(
                f"this workspace has {len(owned)} domains, the most allowed; release one first"
            )
        record = Domain(domain=name, workspace_id=access.workspace.id, created_at=self._now())
        with _store_errors():
            await access.data.domains.claim(record)
        self.resolver.invalidate(name)
        return record

    async def release_domain(self, access: Access, domain: str) -> None:
        self._require(access, "admin")
        name = normalize_domain(domain)
        released = await access.data.domains.release(name)
        self.resolver.invalidate(name)
        if not released:
            raise NotFoundError(f"domain {name!r} does not belong to this workspace")

    @staticmethod
    def _require(access: Access, minimum: Role) -> None:
        if not role_at_least(access.role, minimum):
            raise ForbiddenError(f"this needs the {minimum} role; you are {access.role}")
