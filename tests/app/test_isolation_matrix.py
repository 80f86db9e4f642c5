"""Every route of the real app, called as every kind of caller, answers as specified.

Identities: no token, a malformed token, an expired token, a revoked token, a member of
another workspace, and a member, admin and owner of the target workspace. Each route has
one `Expect` row below saying who may call it; a route registered in the app without a row
fails `test_every_route_has_an_expectation`, so new routes are covered as they appear.

Workspace-scoped calls run against a fresh workspace each (so a DELETE by one identity
cannot change what the next sees); valid identities get a freshly minted token of their
own user signed by the app's keys, so a logout in one call does not revoke the next.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import tenancy_fixtures as _fx
from starlette.applications import Starlette
from starlette.routing import Mount, Route, WebSocketRoute

from app.main import create_app
from app.settings import load_settings
from tenancy.auth import AccessTokenCodec, AuthService

smtp_server = _fx.smtp_server
mailbox = _fx.mailbox
new_email = _fx.new_email
registry_file = _fx.registry_file
settings_overrides = _fx.settings_overrides
tenancy_settings = _fx.tenancy_settings
tenancy_app = _fx.tenancy_app
api = _fx.api

ANONYMOUS = ("none", "malformed", "expired", "revoked")
SEATED = ("member", "admin", "owner")
IDENTITIES = (*ANONYMOUS, "outsider", *SEATED)
_RANK = {"member": 1, "admin": 2, "owner": 3}
_unique = itertools.count()


@dataclass
class Target:
    """The workspace a call is aimed at, and helpers to prepare path parameters in it."""

    client: httpx.AsyncClient
    owner_headers: dict[str, str]
    ws: dict[str, Any] = field(default_factory=dict)

    async def invitee(self) -> str:
        answer = await self.client.post(
            f"/v1/workspaces/{self.ws['id']}/members",
            json={"email": f"invitee-{next(_unique)}@example.org", "role": "member"},
            headers=self.owner_headers,
        )
        assert answer.status_code == 201, answer.text
        member_id: str = answer.json()["id"]
        return member_id

    async def installed_app(self) -> str:
        answer = await self.client.post(
            f"/v1/workspaces/{self.ws['id']}/apps",
            json={"app_id": "notes", "settings": {}},
            headers=self.owner_headers,
        )
        assert answer.status_code == 201, answer.text
        return "notes"

    async def brain(self, template: str = "barebones") -> str:
        answer = await self.client.post(
            f"/v1/workspaces/{self.ws['id']}/brains",
            json={"name": "Probe", "template": template},
            headers=self.owner_headers,
        )
        assert answer.status_code == 201, answer.text
        brain_id: str = answer.json()["id"]
        return brain_id

    async def claimed_domain(self) -> str:
        domain = f"d{next(_unique)}.example.org"
        answer = await self.client.put(
            f"/v1/workspaces/{self.ws['id']}/domains/{domain}", headers=self.owner_headers
        )
        assert answer.status_code == 200, answer.text
        return domain


Prepare = Callable[[Target], Awaitable[dict[str, str]]]


async def _nothing(target: Target) -> dict[str, str]:
    return {}


@dataclass(frozen=True)
class Expect:
    """Who may call a route and what a permitted call answers.

    `access`: "public" (anyone), "authenticated" (any valid token), or the least role in
    the route's workspace. `status`: the answer to a permitted call (for public routes: to
    every caller). `body`: a JSON body for permitted calls. `params`: fills path parameters
    other than {ws} (and may add a query string as "?").
    """

    access: str
    status: int
    body: Callable[[], Any] | None = None
    params: Prepare = _nothing


async def _member(t: Target) -> dict[str, str]:
    return {"member": await t.invitee()}


async def _app(t: Target) -> dict[str, str]:
    return {"app": await t.installed_app()}


async def _domain(t: Target) -> dict[str, str]:
    return {"domain": await t.claimed_domain()}


async def _brain(t: Target) -> dict[str, str]:
    return {"brain": await t.brain()}


async def _feagi_key(t: Target) -> dict[str, str]:
    brain = await t.brain()
    issued = await t.client.post(
        f"/v1/workspaces/{t.ws['id']}/brains/{brain}/feagi_keys", headers=t.owner_headers
    )
    assert issued.status_code == 201, issued.text
    return {"brain": brain, "key_id": issued.json()["id"]}


async def _sensing_brain(t: Target) -> dict[str, str]:
    return {"brain": await t.brain("essential")}


def _barebones() -> dict[str, Any]:
    from brains.genome import genome_to_dict, load_template

    return genome_to_dict(load_template("barebones"))


async def _new_domain(t: Target) -> dict[str, str]:
    return {"domain": f"n{next(_unique)}.example.org"}


async def _confirm(t: Target) -> dict[str, str]:
    return {"?": f"confirm={t.ws['slug']}"}


def _email() -> dict[str, str]:
    return {"email": f"caller-{next(_unique)}@example.org"}


EXPECTATIONS: dict[tuple[str, str], Expect] = {
    ("WEBSOCKET", "/v1/ws"): Expect("authenticated", 101),
    ("MOUNT", "/feagi/{key}"): Expect("public", 401),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/feagi_keys"): Expect(
        "admin", 201, params=_brain
    ),
    ("GET", "/v1/workspaces/{ws}/brains/{brain}/feagi_keys"): Expect(
        "admin", 200, params=_brain
    ),
    ("DELETE", "/v1/workspaces/{ws}/brains/{brain}/feagi_keys/{key_id}"): Expect(
        "admin", 204, params=_feagi_key
    ),
    ("GET", "/v1/health"): Expect("public", 200),
    ("GET", "/v1/ready"): Expect("public", 200),
    ("GET", "/metrics"): Expect("public", 200),
    ("GET", "/openapi.json"): Expect("public", 200),
    ("GET", "/docs"): Expect("public", 200),
    ("POST", "/v1/auth/code"): Expect("public", 202, body=_email),
    ("POST", "/v1/auth/verify"): Expect("public", 400, body=lambda: {**_email(), "code": "000000"}),
    ("POST", "/v1/auth/refresh"): Expect("public", 401, body=lambda: {"refresh_token": "r" * 43}),
    ("GET", "/v1/auth/jwks.json"): Expect("public", 200),
    ("POST", "/v1/auth/logout"): Expect("authenticated", 204),
    ("GET", "/v1/me"): Expect("authenticated", 200),
    ("GET", "/v1/apps"): Expect("authenticated", 200),
    ("POST", "/v1/workspaces"): Expect(
        "authenticated", 201, body=lambda: {"name": "New", "slug": f"new-{next(_unique)}"}
    ),
    ("GET", "/v1/workspaces"): Expect("authenticated", 200),
    ("GET", "/v1/workspaces/{ws}"): Expect("member", 200),
    ("PATCH", "/v1/workspaces/{ws}"): Expect("admin", 200, body=lambda: {"name": "Renamed"}),
    ("DELETE", "/v1/workspaces/{ws}"): Expect("owner", 204, params=_confirm),
    ("GET", "/v1/workspaces/{ws}/members"): Expect("member", 200),
    ("POST", "/v1/workspaces/{ws}/members"): Expect(
        "admin", 201, body=lambda: {**_email(), "role": "member"}
    ),
    ("PATCH", "/v1/workspaces/{ws}/members/{member}"): Expect(
        "admin", 200, body=lambda: {"role": "admin"}, params=_member
    ),
    ("DELETE", "/v1/workspaces/{ws}/members/{member}"): Expect("admin", 204, params=_member),
    ("GET", "/v1/workspaces/{ws}/apps"): Expect("member", 200),
    ("POST", "/v1/workspaces/{ws}/apps"): Expect(
        "admin", 201, body=lambda: {"app_id": "notes", "settings": {}}
    ),
    ("DELETE", "/v1/workspaces/{ws}/apps/{app}"): Expect("admin", 204, params=_app),
    ("GET", "/v1/workspaces/{ws}/domains"): Expect("member", 200),
    ("PUT", "/v1/workspaces/{ws}/domains/{domain}"): Expect("admin", 200, params=_new_domain),
    ("DELETE", "/v1/workspaces/{ws}/domains/{domain}"): Expect("admin", 204, params=_domain),
    ("POST", "/v1/workspaces/{ws}/brains"): Expect(
        "admin", 201, body=lambda: {"name": "New", "template": "barebones"}
    ),
    ("GET", "/v1/workspaces/{ws}/brains"): Expect("member", 200),
    ("GET", "/v1/workspaces/{ws}/brains/{brain}"): Expect("member", 200, params=_brain),
    ("PATCH", "/v1/workspaces/{ws}/brains/{brain}"): Expect(
        "member", 200, body=lambda: {"name": "Renamed"}, params=_brain
    ),
    ("DELETE", "/v1/workspaces/{ws}/brains/{brain}"): Expect("admin", 204, params=_brain),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/burst_engine/start"): Expect(
        "member", 200, params=_brain
    ),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/burst_engine/stop"): Expect(
        "member", 200, params=_brain
    ),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/burst_engine/pause"): Expect(
        "member", 422, params=_brain
    ),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/burst_engine/resume"): Expect(
        "member", 422, params=_brain
    ),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/step"): Expect(
        "member", 200, body=lambda: {"n": 2}, params=_brain
    ),
    ("GET", "/v1/workspaces/{ws}/brains/{brain}/stats"): Expect("member", 200, params=_brain),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/sensory"): Expect(
        "member", 200, body=lambda: {"area": "iic000", "voxels": [[0, 0, 0, 1.0]]},
        params=_sensing_brain,
    ),
    ("POST", "/v1/workspaces/{ws}/brains/{brain}/stimulate"): Expect(
        "member", 200, body=lambda: {"area": "___pwr"}, params=_brain
    ),
    ("GET", "/v1/workspaces/{ws}/brains/{brain}/motor"): Expect("member", 200, params=_brain),
    ("GET", "/v1/workspaces/{ws}/brains/{brain}/genome"): Expect("member", 200, params=_brain),
    ("PUT", "/v1/workspaces/{ws}/brains/{brain}/genome"): Expect(
        "admin", 200, body=_barebones, params=_brain
    ),
}


def registered_routes() -> list[tuple[str, str]]:
    """(method, path) of every route the real app serves (HEAD mirrors GET).

    Websocket routes appear as ("WEBSOCKET", path), mounted apps as ("MOUNT", path); they
    need an expectation like any other route.
    """
    application = create_app(load_settings({"BRAINHOST_DATA_DIR": "/nonexistent/brainhost"}))
    found = []
    for route in application.router.routes:
        if isinstance(route, Route):
            found += [(m, route.path) for m in sorted(route.methods or ()) if m != "HEAD"]
        elif isinstance(route, WebSocketRoute):
            found.append(("WEBSOCKET", route.path))
        elif isinstance(route, Mount):
            found.append(("MOUNT", route.path))
        else:
            found.append((type(route).__name__, str(getattr(route, "path", route))))
    return found


ROUTES = registered_routes()


def expected(expect: Expect, identity: str) -> int:
    if expect.access == "public":
        return expect.status
    if identity in ANONYMOUS:
        return 401
    if expect.access == "authenticated":
        return expect.status
    if identity == "outsider":
        return 404
    return expect.status if _RANK[identity] >= _RANK[expect.access] else 403


@dataclass
class World:
    client: httpx.AsyncClient
    codec: AccessTokenCodec
    users: dict[str, dict[str, Any]]
    revoked_token: str
    expired_token: str

    def headers(self, identity: str) -> dict[str, str]:
        if identity == "none":
            return {}
        if identity == "malformed":
            return {"Authorization": "Bearer not.a.jwt"}
        if identity == "expired":
            return {"Authorization": f"Bearer {self.expired_token}"}
        if identity == "revoked":
            return {"Authorization": f"Bearer {self.revoked_token}"}
        user = self.users[identity]
        token, _ = self.codec.issue(
            user_id=user["id"],
            email=user["email"],
            session_id=f"fam_m{next(_unique)}",
            workspaces={},
        )
        return {"Authorization": f"Bearer {token}"}

    async def workspace(self) -> Target:
        """A fresh workspace: owner, admin and member seated."""
        owner = self.headers("owner")
        slug = f"target-{next(_unique)}"
        created = await self.client.post(
            "/v1/workspaces", json={"name": "Target", "slug": slug}, headers=owner
        )
        assert created.status_code == 201, created.text
        target = Target(self.client, owner, created.json())
        for role in ("admin", "member"):
            seated = await self.client.post(
                f"/v1/workspaces/{target.ws['id']}/members",
                json={"email": self.users[role]["email"], "role": role},
                headers=owner,
            )
            assert seated.status_code == 201 and seated.json()["status"] == "active"
        return target


@pytest.fixture
async def world(
    api: httpx.AsyncClient, tenancy_app: Starlette, mailbox: Any
) -> AsyncIterator[World]:
    users = {}
    for role in ("owner", "admin", "member", "outsider", "revoked"):
        address = f"{role}-{next(_unique)}@example.org"
        users[role] = await _fx.login(api, mailbox, address)
    revoked = users.pop("revoked")["access_token"]
    assert (await api.post("/v1/auth/logout", headers=_fx.bearer(revoked))).status_code == 204
    outsider_ws = await api.post(
        "/v1/workspaces",
        json={"name": "Elsewhere", "slug": f"elsewhere-{next(_unique)}"},
        headers=_fx.bearer(users["outsider"]["access_token"]),
    )
    assert outsider_ws.status_code == 201
    auth: AuthService = tenancy_app.state.services.auth
    live = auth.codec
    past = AccessTokenCodec(
        live.ring,
        issuer=live.issuer,
        audience=live.audience,
        ttl_s=live.ttl_s,
        leeway_s=live.leeway_s,
        clock=lambda: 1_000_000_000.0,
    )
    owner = users["owner"]["user"]
    expired, _ = past.issue(
        user_id=owner["id"], email=owner["email"], session_id="fam_old", workspaces={}
    )
    yield World(
        client=api,
        codec=live,
        users={role: body["user"] for role, body in users.items()},
        revoked_token=revoked,
        expired_token=expired,
    )


def test_every_route_has_an_expectation() -> None:
    missing = [f"{m} {p}" for m, p in ROUTES if (m, p) not in EXPECTATIONS]
    assert not missing, f"routes without an isolation expectation: {missing}"


def test_every_expectation_names_a_route() -> None:
    stale = [f"{m} {p}" for m, p in EXPECTATIONS if (m, p) not in ROUTES]
    assert not stale, f"expectations for routes that no longer exist: {stale}"


def test_every_workspace_route_requires_a_seat() -> None:
    open_routes = [
        f"{m} {p}"
        for m, p in ROUTES
        if "{ws}" in p
        and EXPECTATIONS.get((m, p), Expect("member", 0)).access in ("public", "authenticated")
    ]
    assert not open_routes


# A websocket handshake needs a real server and client: tests/app/ws/test_ws_auth.py and
# test_ws_topics.py put these identities to /v1/ws over uvicorn with `websockets`.
HTTP_ROUTES = [(m, p) for m, p in ROUTES if m != "WEBSOCKET"]


@pytest.mark.parametrize(
    ("method", "path"), HTTP_ROUTES, ids=[f"{m} {p}" for m, p in HTTP_ROUTES]
)
async def test_route_answers_each_identity_as_specified(
    world: World, method: str, path: str
) -> None:
    expect = EXPECTATIONS.get((method, path))
    if expect is None:
        pytest.fail(f"{method} {path} has no isolation expectation (see EXPECTATIONS)")
    if method == "MOUNT":
        method, path = "GET", path.rstrip("/") + "/"
    outcomes = {}
    for identity in IDENTITIES:
        url = path
        if "{ws}" in path:
            target = await world.workspace()
            params = await expect.params(target)
            url = url.replace("{ws}", target.ws["id"])
        else:
            params = await expect.params(Target(world.client, {}))
        query = params.pop("?", None)
        for name, value in params.items():
            url = url.replace("{" + name + "}", value)
        if query:
            url += "?" + query
        body = expect.body() if expect.body is not None else None
        answer = await world.client.request(method, url, json=body, headers=world.headers(identity))
        outcomes[identity] = answer.status_code
        if answer.status_code >= 400 and path.startswith("/feagi/"):
            # FEAGI clients read FEAGI's own error shape.
            assert {"code", "message"} <= set(answer.json())
        elif answer.status_code >= 400 and path != "/docs":
            assert set(answer.json()["error"]) == {"code", "message", "fields"}
    wanted = {identity: expected(expect, identity) for identity in IDENTITIES}
    assert outcomes == wanted


async def test_a_foreign_workspace_looks_exactly_like_a_missing_one(world: World) -> None:
    target = await world.workspace()
    outsider = world.headers("outsider")
    foreign = await world.client.get(f"/v1/workspaces/{target.ws['id']}/members", headers=outsider)
    missing = await world.client.get("/v1/workspaces/ws_nothing_here/members", headers=outsider)
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()


async def test_anonymous_callers_get_401_before_body_validation(world: World) -> None:
    target = await world.workspace()
    answer = await world.client.post(
        f"/v1/workspaces/{target.ws['id']}/members", json={"nonsense": True}
    )
    assert answer.status_code == 401


async def test_outsiders_get_404_before_body_validation(world: World) -> None:
    target = await world.workspace()
    answer = await world.client.post(
        f"/v1/workspaces/{target.ws['id']}/members",
        json={"nonsense": True},
        headers=world.headers("outsider"),
    )
    assert answer.status_code == 404
