"""Workspaces, members, installed apps and domains.

Every route under ``/v1/workspaces/{ws}`` declares the least role it needs; the guard in
`app.security` answers 404 to non-members and 403 to members below that role.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from app.routes.brains import brain_host
from app.security import GuardedRouter, access_of, principal_of, workspace_service
from tenancy.errors import InvalidInputError
from tenancy.store import Domain, InstalledApp, Member, Workspace
from tenancy.workspaces import AppDefinition

__all__ = ["api"]

api = GuardedRouter(tags=("workspaces",), max_body=8192)

RoleName = Literal["owner", "admin", "member"]


class WorkspaceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    slug: str = Field(min_length=1, max_length=64, description="a-z, 0-9 and '-'.")


class WorkspaceUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, min_length=1, max_length=200)
    slug: str | None = Field(None, min_length=1, max_length=64)


class WorkspaceOut(BaseModel):
    id: str
    slug: str
    name: str
    created_at: datetime
    role: RoleName | None = Field(None, description="The caller's role.")

    @classmethod
    def of(cls, workspace: Workspace, role: RoleName | None) -> WorkspaceOut:
        return cls(
            id=workspace.id,
            slug=workspace.slug,
            name=workspace.name,
            created_at=workspace.created_at,
            role=role,
        )


class WorkspaceList(BaseModel):
    workspaces: list[WorkspaceOut]


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["human", "digital"] = "human"
    role: RoleName = "member"
    email: str | None = Field(None, min_length=3, max_length=254)
    brain_id: str | None = Field(None, min_length=1, max_length=48)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: RoleName


class MemberOut(BaseModel):
    id: str
    kind: str
    role: RoleName
    status: Literal["active", "pending"]
    user_id: str | None
    email: str | None
    brain_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, member: Member) -> MemberOut:
        return cls(
            id=member.id,
            kind=member.kind,
            role=member.role,
            status="pending" if member.pending else "active",
            user_id=member.user_id,
            email=member.email,
            brain_id=member.brain_id,
            created_at=member.created_at,
        )


class MemberList(BaseModel):
    members: list[MemberOut]


class AppInstall(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app_id: str = Field(min_length=1, max_length=48)
    settings: dict[str, Any] = Field(default_factory=dict)


class InstalledAppOut(BaseModel):
    app_id: str
    version: str
    settings: dict[str, Any]
    installed_at: datetime

    @classmethod
    def of(cls, app: InstalledApp) -> InstalledAppOut:
        return cls(
            app_id=app.app_id,
            version=app.version,
            settings=dict(app.settings),
            installed_at=app.installed_at,
        )


class InstalledAppList(BaseModel):
    apps: list[InstalledAppOut]


class AppDefinitionOut(BaseModel):
    id: str
    version: str
    name: str
    description: str
    settings_schema: dict[str, Any]

    @classmethod
    def of(cls, app: AppDefinition) -> AppDefinitionOut:
        return cls(
            id=app.id,
            version=app.version,
            name=app.name,
            description=app.description,
            settings_schema=dict(app.settings_schema),
        )


class AppCatalogue(BaseModel):
    apps: list[AppDefinitionOut]


class DomainOut(BaseModel):
    domain: str
    created_at: datetime

    @classmethod
    def of(cls, domain: Domain) -> DomainOut:
        return cls(domain=domain.domain, created_at=domain.created_at)


class DomainList(BaseModel):
    domains: list[DomainOut]


# ---------------------------------------------------------------------- workspaces


@api.post("/v1/workspaces", body=WorkspaceCreate, response=WorkspaceOut, status=201, errors=(409,))
async def create_workspace(request: Request, body: WorkspaceCreate) -> WorkspaceOut:
    """Create a workspace; the caller becomes its owner."""
    principal = principal_of(request)
    workspace = await workspace_service(request).create(principal.user_id, body.name, body.slug)
    return WorkspaceOut.of(workspace, "owner")


@api.get("/v1/workspaces", response=WorkspaceList)
async def list_workspaces(request: Request) -> WorkspaceList:
    """The caller's workspaces with their role in each."""
    memberships = await workspace_service(request).list_for(principal_of(request).user_id)
    return WorkspaceList(
        workspaces=[WorkspaceOut.of(m.workspace, m.member.role) for m in memberships]
    )


@api.get("/v1/workspaces/{ws}", response=WorkspaceOut, role="member")
async def get_workspace(request: Request) -> WorkspaceOut:
    """One workspace."""
    access = access_of(request)
    return WorkspaceOut.of(access.workspace, access.role)


@api.patch(
    "/v1/workspaces/{ws}",
    body=WorkspaceUpdate,
    response=WorkspaceOut,
    role="admin",
    errors=(409,),
)
async def update_workspace(request: Request, body: WorkspaceUpdate) -> WorkspaceOut:
    """Rename or re-slug a workspace (admin)."""
    access = access_of(request)
    workspace = await workspace_service(request).update(access, name=body.name, slug=body.slug)
    return WorkspaceOut.of(workspace, access.role)


@api.delete("/v1/workspaces/{ws}", status=204, role="owner")
async def delete_workspace(request: Request) -> None:
    """Delete a workspace and all its data (owner; `?confirm=<slug>` required)."""
    confirm = request.query_params.get("confirm")
    if confirm is None:
        raise InvalidInputError(
            "deleting a workspace removes all its data; confirm with ?confirm=<its slug>",
            fields={"confirm": "required: the workspace's slug"},
        )
    access = access_of(request)
    if confirm == access.workspace.slug:
        # Stop its brains first, unpersisted: their storage is about to be dropped.
        await brain_host(request).forget_workspace(access.workspace.id)
    await workspace_service(request).delete(access, confirm)


# ------------------------------------------------------------------------- members


@api.get("/v1/workspaces/{ws}/members", response=MemberList, role="member")
async def list_members(request: Request) -> MemberList:
    """Members, pending invitations and digital humans of a workspace."""
    members = await workspace_service(request).list_members(access_of(request))
    return MemberList(members=[MemberOut.of(m) for m in members])


@api.post(
    "/v1/workspaces/{ws}/members",
    body=MemberCreate,
    response=MemberOut,
    status=201,
    role="admin",
    errors=(409,),
)
async def add_member(request: Request, body: MemberCreate) -> MemberOut:
    """Invite a person by email, or seat a digital human bound to a brain (admin)."""
    service, access = workspace_service(request), access_of(request)
    if body.kind == "human":
        if body.email is None or body.brain_id is not None:
            raise InvalidInputError(
                "a human member is invited by email",
                fields={"email": "required for kind 'human'", "brain_id": "only for 'digital'"},
            )
        member = await service.invite(access, body.email, body.role)
    else:
        if body.brain_id is None:
            raise InvalidInputError(
                "a digital human is bound to a brain", fields={"brain_id": "required"}
            )
        member = await service.add_digital(access, body.brain_id, body.role, body.email)
    return MemberOut.of(member)


@api.patch(
    "/v1/workspaces/{ws}/members/{member}",
    body=MemberUpdate,
    response=MemberOut,
    role="admin",
    errors=(409,),
)
async def update_member(request: Request, body: MemberUpdate) -> MemberOut:
    """Change a member's role; the last owner cannot be demoted."""
    member = await workspace_service(request).set_role(
        access_of(request), request.path_params["member"], body.role
    )
    return MemberOut.of(member)


@api.delete("/v1/workspaces/{ws}/members/{member}", status=204, role="member", errors=(409,))
async def remove_member(request: Request) -> None:
    """Remove a member (anyone may leave; the last owner cannot)."""
    await workspace_service(request).remove_member(
        access_of(request), request.path_params["member"]
    )


# ---------------------------------------------------------------------------- apps


@api.get("/v1/apps", response=AppCatalogue)
async def app_catalogue(request: Request) -> AppCatalogue:
    """Apps that can be installed, with their settings schemas."""
    registry = workspace_service(request).registry
    return AppCatalogue(apps=[AppDefinitionOut.of(app) for app in registry])


@api.get("/v1/workspaces/{ws}/apps", response=InstalledAppList, role="member")
async def list_apps(request: Request) -> InstalledAppList:
    """Apps installed in a workspace."""
    apps = await workspace_service(request).list_apps(access_of(request))
    return InstalledAppList(apps=[InstalledAppOut.of(a) for a in apps])


@api.post(
    "/v1/workspaces/{ws}/apps",
    body=AppInstall,
    response=InstalledAppOut,
    status=201,
    role="admin",
    max_body=65_536,
)
async def install_app(request: Request, body: AppInstall) -> InstalledAppOut:
    """Install (or reconfigure) an app; settings are validated against its schema (admin)."""
    app = await workspace_service(request).install_app(
        access_of(request), body.app_id, body.settings
    )
    return InstalledAppOut.of(app)


@api.delete("/v1/workspaces/{ws}/apps/{app}", status=204, role="admin")
async def uninstall_app(request: Request) -> None:
    """Uninstall an app (admin)."""
    await workspace_service(request).uninstall_app(access_of(request), request.path_params["app"])


# ------------------------------------------------------------------------- domains


@api.get("/v1/workspaces/{ws}/domains", response=DomainList, role="member")
async def list_domains(request: Request) -> DomainList:
    """Domains owned by a workspace."""
    domains = await workspace_service(request).list_domains(access_of(request))
    return DomainList(domains=[DomainOut.of(d) for d in domains])


@api.put("/v1/workspaces/{ws}/domains/{domain}", response=DomainOut, role="admin", errors=(409,))
async def claim_domain(request: Request) -> DomainOut:
    """Claim a domain for this workspace; 409 when another workspace owns it (admin)."""
    domain = await workspace_service(request).claim_domain(
        access_of(request), request.path_params["domain"]
    )
    return DomainOut.of(domain)


@api.delete("/v1/workspaces/{ws}/domains/{domain}", status=204, role="admin")
async def release_domain(request: Request) -> None:
    """Give up a domain (admin)."""
    await workspace_service(request).release_domain(
        access_of(request), request.path_params["domain"]
    )
