"""Request authentication and authorization at the HTTP edge.

`GuardedRouter` is an `ApiRouter` whose secured routes authenticate the bearer token
*before* the body is read (so an anonymous caller learns nothing from validation errors)
and whose routes under ``/v1/workspaces/{ws}`` declare the least role they need
(``role="member" | "admin" | "owner"``): the guard resolves the caller's seat, answering
404 when the caller is not a member (existence is not leaked) and 403 when the role is too
low. Tenancy errors raised by handlers become API errors here, one status per class.

Handlers read the results with `principal_of(request)` and `access_of(request)`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.endpoint import ApiRouter
from app.errors import ApiError
from app.settings import Settings
from tenancy.auth import (
    AuthConfig,
    AuthLimits,
    AuthService,
    CodePolicy,
    Principal,
    RateLimit,
    SmtpConfig,
)
from tenancy.errors import (
    ConflictError,
    ForbiddenError,
    InvalidCodeError,
    InvalidInputError,
    MailDeliveryError,
    NotFoundError,
    RateLimitedError,
    TenancyError,
    UnauthenticatedError,
)
from tenancy.store import Role, StoreError
from tenancy.workspaces import Access, AppRegistry, WorkspaceService

__all__ = [
    "GuardedRouter",
    "access_of",
    "auth_config_from",
    "auth_service",
    "authenticate",
    "client_ip",
    "load_app_registry",
    "periodic_purge",
    "principal_of",
    "to_api_error",
    "workspace_service",
]

Handler = Callable[..., Awaitable[Any]]

_log = structlog.get_logger("brainhost.security")

_STATUS: tuple[tuple[type[TenancyError], int], ...] = (
    (UnauthenticatedError, 401),
    (ForbiddenError, 403),
    (NotFoundError, 404),
    (ConflictError, 409),
    (InvalidInputError, 422),
    (InvalidCodeError, 400),
    (RateLimitedError, 429),
    (MailDeliveryError, 503),
)


def to_api_error(exc: TenancyError) -> ApiError:
    """The HTTP answer for a tenancy error."""
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    headers: dict[str, str] | None = None
    if isinstance(exc, RateLimitedError):
        headers = {"Retry-After": str(max(1, math.ceil(exc.retry_after_s)))}
    elif isinstance(exc, UnauthenticatedError):
        headers = {"WWW-Authenticate": f'Bearer error="{exc.code}"'}
    return ApiError(status, exc.code, exc.message, exc.fields or None, headers)


def client_ip(request: Request) -> str:
    """The peer address (proxies' X-Forwarded-For is not trusted: it is client-controlled)."""
    return request.client.host if request.client is not None else "unknown"


def _services(request: Request) -> Any:
    services = getattr(request.app.state, "services", None)
    if services is None or getattr(services, "auth", None) is None:
        raise ApiError(503, "unavailable", "the service is starting or stopping")
    return services


def auth_service(request: Request) -> AuthService:
    service: AuthService = _services(request).auth
    return service


def workspace_service(request: Request) -> WorkspaceService:
    service: WorkspaceService = _services(request).workspaces
    return service


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization")
    if header is None:
        raise UnauthenticatedError("log in first: send 'Authorization: Bearer <access token>'")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 8192:
        raise UnauthenticatedError("the Authorization header must be 'Bearer <access token>'")
    return token


async def authenticate(request: Request) -> Principal:
    """The caller of `request` (cached on the request); `UnauthenticatedError` otherwise."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    principal = await auth_service(request).authenticate(_bearer(request))
    request.state.principal = principal
    return principal


def principal_of(request: Request) -> Principal:
    """The principal a guarded route authenticated."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise RuntimeError("principal_of() used on a route registered with secured=False")
    return principal


def access_of(request: Request) -> Access:
    """The caller's seat in the route's workspace (routes registered with a `role`)."""
    access = getattr(request.state, "access", None)
    if not isinstance(access, Access):
        raise RuntimeError("access_of() used on a route registered without role=")
    return access


@dataclass
class GuardedRouter(ApiRouter):
    """An `ApiRouter` that authenticates and authorizes before reading the body."""

    def _register(
        self,
        method: str,
        path: str,
        *,
        body: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        secured: bool = True,
        max_body: int | None = None,
        summary: str | None = None,
        errors: tuple[int, ...] = (),
        role: Role | None = None,
    ) -> Callable[[Handler], Handler]:
        if role is not None and (not secured or "{ws}" not in path):
            raise ValueError(f"{method} {path}: role= needs a secured route with a {{ws}} part")
        implied: tuple[int, ...] = ()
        if secured:
            implied += (401,)
        if role is not None:
            implied += (403, 404)
        if body is not None:
            implied += (413, 422)
        register = super()._register(
            method,
            path,
            body=body,
            response=response,
            status=status,
            secured=secured,
            max_body=max_body,
            summary=summary,
            errors=tuple(sorted(set(errors) | set(implied))),
        )

        def decorate(handler: Handler) -> Handler:
            register(handler)
            route = self.routes[-1]
            inner = route.endpoint

            async def guarded(request: Request) -> Response:
                try:
                    if secured:
                        principal = await authenticate(request)
                        if role is not None:
                            request.state.access = await workspace_service(request).access(
                                principal.user_id, request.path_params["ws"], role
                            )
                    response: Response = await inner(request)
                    return response
                except TenancyError as exc:
                    raise to_api_error(exc) from None

            self.routes[-1] = Route(path, guarded, methods=[method], name=route.name)
            return handler

        return decorate


# ---------------------------------------------------------------------- lifecycle


@asynccontextmanager
async def periodic_purge(auth: AuthService, interval_s: float = 600.0) -> AsyncIterator[None]:
    """Purge expired codes, sessions and revocations every `interval_s` while open."""

    async def loop() -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                purged = await auth.purge_expired()
            except StoreError as exc:
                _log.warning("auth_purge_failed", error=str(exc))
            else:
                if purged:
                    _log.info("auth_purged", records=purged)

    task = asyncio.get_running_loop().create_task(loop(), name="auth-purge")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# ------------------------------------------------------------------ configuration

def _limit(text: str) -> RateLimit:
    """``"<count>/<seconds>"`` (already checked by the setting's pattern) as a token bucket."""
    count, _, period = text.partition("/")
    return RateLimit(int(count), float(period))


def auth_config_from(settings: Settings) -> AuthConfig:
    """Map `Settings` to an `AuthConfig`."""
    limits = AuthLimits(
        codes_per_email=_limit(settings.code_limit_per_email),
        codes_per_ip=_limit(settings.code_limit_per_ip),
        verifies_per_ip=_limit(settings.verify_limit_per_ip),
    )
    smtp = None
    if settings.smtp_host:
        smtp = SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else "",
            starttls=settings.smtp_starttls,
            sender=settings.mail_from,
        )
    return AuthConfig(
        data_dir=settings.data_dir,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl_s=settings.access_token_ttl_s,
        session_ttl_s=settings.session_ttl_s,
        jwt_algorithm=settings.jwt_algorithm,
        jwt_secret=settings.jwt_secret.get_secret_value() if settings.jwt_secret else None,
        jwt_keys_dir=settings.jwt_keys_dir,
        smtp=smtp,
        mail_from=settings.mail_from,
        policy=CodePolicy(),
        limits=limits,
        revocation_cache_ttl_s=settings.auth_cache_ttl_s,
    )


def load_app_registry(settings: Settings) -> AppRegistry:
    """The configured app registry (`RegistryError` naming the problem), or an empty one."""
    path = settings.apps_registry
    return AppRegistry.from_file(path) if path is not None else AppRegistry()
