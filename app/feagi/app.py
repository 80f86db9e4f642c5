"""The ASGI app mounted at ``/feagi/{key}``: key check, then FEAGI's ``/v1/...`` routes.

A FEAGI client is given ``http://host:port/feagi/<key>`` as its engine URL. The key is
checked before anything else (unknown or revoked: 401, whatever the path), and the brain
it opens is the only one the request can reach. Because the key is part of the path, the
path is redacted in the request scope once the response is sent, so the access log and
metrics never see it.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.routing import Router
from starlette.types import Receive, Scope, Send

from app.feagi.access import FeagiKeyResolver
from app.feagi.errors import FeagiError, feagi_error_response
from app.feagi.hosted import HostKeyResolver
from app.feagi.keys import redact_path
from app.feagi.routes import ACCESS_STATE_KEY, routes
from tenancy.hosting import BrainHost

__all__ = ["FeagiApp", "services_resolver"]

ResolverOf = Callable[[Scope], "FeagiKeyResolver | None"]


def services_resolver(scope: Scope) -> FeagiKeyResolver | None:
    """Keys of the running brainhost app: its store's FEAGI keys, opening its hosted brains."""
    app = scope.get("app")
    services = getattr(getattr(app, "state", None), "services", None)
    host = getattr(services, "brains", None)
    if not isinstance(host, BrainHost):
        return None
    return HostKeyResolver(host)


class FeagiApp:
    """Serves FEAGI's REST API for the brain a key opens."""

    def __init__(self, resolver: ResolverOf = services_resolver) -> None:
        self._resolver = resolver
        self._router = Router(routes=list(routes), default=self._not_found)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            return
        mount = scope.get("route")
        try:
            await self._serve(scope, receive, send)
        finally:
            self._redact(scope)
            # The mount again, not the inner route the FEAGI router chose: the app's request
            # metrics label a request by the app's route in scope, and must not have to
            # match every route again to find it.
            if mount is not None:
                scope["route"] = mount

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        resolver = self._resolver(scope)
        if resolver is None:
            await feagi_error_response(
                FeagiError(503, "the FEAGI API is not available (service starting or stopping)")
            )(scope, receive, send)
            return
        key = str(scope.get("path_params", {}).get("key", ""))
        access = await resolver.resolve(key) if key else None
        if access is None:
            await feagi_error_response(
                FeagiError(401, "unknown or revoked FEAGI key: ask a workspace admin for a new "
                                "one (POST /v1/workspaces/{ws}/brains/{brain}/feagi_keys)")
            )(scope, receive, send)
            return
        scope.setdefault("state", {})[ACCESS_STATE_KEY] = access
        try:
            await self._router(scope, receive, send)
        except HTTPException as exc:
            # Starlette's own answers (405 method not allowed) in the FEAGI shape too.
            await feagi_error_response(FeagiError(exc.status_code, str(exc.detail)))(
                scope, receive, send)

    @staticmethod
    async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
        route = scope["path"][len(scope.get("root_path", "")):]
        await feagi_error_response(
            FeagiError(404, f"{scope['method']} {route} is not a FEAGI route served by brainhost; "
                            "see docs/feagi-api.md for the routes covered")
        )(scope, receive, send)

    @staticmethod
    def _redact(scope: Scope) -> None:
        scope["path"] = redact_path(scope["path"])
        if "raw_path" in scope and scope["raw_path"] is not None:
            scope["raw_path"] = redact_path(scope["raw_path"].decode("latin-1")).encode("latin-1")
        scope["root_path"] = scope.get("app_root_path", "")
        params = scope.get("path_params")
        if isinstance(params, dict) and "key" in params:
            scope["path_params"] = {**params, "key": "***"}
