"""Login without passwords: codes by mail, tokens, refresh, logout, JWKS, the caller."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request

from app.security import GuardedRouter, auth_service, client_ip, principal_of
from tenancy.auth import LoginResult
from tenancy.errors import UnauthenticatedError
from tenancy.store import Membership, User

__all__ = ["api"]

api = GuardedRouter(tags=("auth",), max_body=4096)


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254, description="Where to mail the code.")


class CodeSent(BaseModel):
    status: str = Field(description="Always 'sent', whether or not the address has an account.")
    message: str


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=254)
    code: str = Field(min_length=1, max_length=16, description="The six digits from the mail.")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=16, max_length=256)


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, email=user.email, display_name=user.display_name, created_at=user.created_at
        )


class MembershipOut(BaseModel):
    id: str
    slug: str
    name: str
    role: str
    member_id: str

    @classmethod
    def of(cls, membership: Membership) -> MembershipOut:
        workspace = membership.workspace
        return cls(
            id=workspace.id,
            slug=workspace.slug,
            name=workspace.name,
            role=membership.member.role,
            member_id=membership.member.id,
        )


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str
    user: UserOut
    workspaces: list[MembershipOut]

    @classmethod
    def of(cls, result: LoginResult) -> TokenResponse:
        return cls(
            access_token=result.access_token,
            expires_in=result.expires_in,
            refresh_token=result.refresh_token,
            user=UserOut.of(result.user),
            workspaces=[MembershipOut.of(m) for m in result.memberships],
        )


class Me(BaseModel):
    user: UserOut
    workspaces: list[MembershipOut]


class Jwks(BaseModel):
    keys: list[dict[str, str]]


@api.post(
    "/v1/auth/code",
    body=CodeRequest,
    response=CodeSent,
    status=202,
    secured=False,
    errors=(429, 503),
)
async def request_code(request: Request, body: CodeRequest) -> CodeSent:
    """Mail a one-time login code (same answer for known and unknown addresses)."""
    service = auth_service(request)
    await service.request_code(body.email, client_ip(request))
    minutes = max(1, round(service.policy.ttl_s / 60))
    return CodeSent(
        status="sent",
        message=f"if this address can receive mail, a code valid {minutes} minutes is on its way",
    )


@api.post(
    "/v1/auth/verify",
    body=VerifyRequest,
    response=TokenResponse,
    secured=False,
    errors=(400, 429),
)
async def verify_code(request: Request, body: VerifyRequest) -> TokenResponse:
    """Exchange a mailed code for an access token and a refresh token."""
    result = await auth_service(request).verify(body.email, body.code, client_ip(request))
    return TokenResponse.of(result)


@api.post(
    "/v1/auth/refresh",
    body=RefreshRequest,
    response=TokenResponse,
    secured=False,
    errors=(401, 429),
)
async def refresh_tokens(request: Request, body: RefreshRequest) -> TokenResponse:
    """Rotate a refresh token; reusing an old one revokes the whole session."""
    result = await auth_service(request).refresh(body.refresh_token, client_ip(request))
    return TokenResponse.of(result)


@api.post("/v1/auth/logout", status=204)
async def logout(request: Request) -> None:
    """Revoke the caller's session and its access tokens."""
    await auth_service(request).logout(principal_of(request))


@api.get("/v1/auth/jwks.json", response=Jwks, secured=False)
async def jwks(request: Request) -> Jwks:
    """Public keys that verify access tokens (empty with a shared HS256 secret)."""
    return Jwks.model_validate(auth_service(request).codec.ring.jwks())


@api.get("/v1/me", response=Me)
async def me(request: Request) -> Me:
    """The caller and their workspaces."""
    principal = principal_of(request)
    service = auth_service(request)
    user = await service.store.users.get(principal.user_id)
    if user is None:
        raise UnauthenticatedError("the account of this token no longer exists")
    memberships = await service.store.memberships.list_for_user(user.id)
    return Me(user=UserOut.of(user), workspaces=[MembershipOut.of(m) for m in memberships])
