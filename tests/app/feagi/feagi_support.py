"""Helpers and fixtures: a real uvicorn on loopback serving the FEAGI API for one brain."""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
import httpx
import pytest
import tenancy_fixtures as _fx
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.feagi import FeagiApp, LocalBrainAccess, StaticKeyResolver, new_key
from app.main import create_app
from app.settings import load_settings
from brains.brain import Brain
from brains.genome import load_genome, load_template

GENOMES = Path(__file__).resolve().parents[3].parent / "shared" / "genomes"
ESSENTIAL_PATH = GENOMES / "feagi_core_essential_genome_v2_1.json"
REFERENCE = json.loads(
    (Path(__file__).parent / "reference" / "feagi_engine_0.0.67.json").read_text())["exchanges"]


def essential_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(ESSENTIAL_PATH.read_text())
    return document


@dataclass
class FeagiServer:
    """One brain behind ``/feagi/<key>``; ``url`` is what a FEAGI client is given."""

    origin: str
    key: str
    access: LocalBrainAccess
    http: httpx.AsyncClient

    @property
    def url(self) -> str:
        return f"{self.origin}/feagi/{self.key}"

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(f"{self.url}{path}", **kwargs)

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return await self.http.post(f"{self.url}{path}", json=body, **kwargs)

    async def put(self, path: str, body: Any) -> httpx.Response:
        return await self.http.put(f"{self.url}{path}", json=body)

    async def delete(self, path: str, body: Any) -> httpx.Response:
        return await self.http.request("DELETE", f"{self.url}{path}", json=body)


async def http_client(**options: Any) -> httpx.AsyncClient:
    """A client built on a worker thread: httpx loads the CA bundle when it builds one."""
    return await anyio.to_thread.run_sync(
        functools.partial(httpx.AsyncClient, timeout=30, **options))


async def _serve(app: Starlette) -> tuple[uvicorn.Server, asyncio.Task[None], str]:
    # log_config=None: leave the process's logging alone (uvicorn's default dictConfig would
    # stop its loggers propagating, hiding their lines from later tests that read them).
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None,
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        assert not task.done(), "uvicorn exited during startup"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, task, f"http://127.0.0.1:{port}"




@pytest.fixture
async def serve_brain() -> AsyncIterator[Callable[[Brain], Any]]:
    """``await serve_brain(brain)`` -> a :class:`FeagiServer` (stopped after the test).

    Each brain is served from one task that holds ``async with LocalBrainAccess`` for the
    whole test (a task group must be entered and left by the same task).
    """
    stop = asyncio.Event()
    runners: list[asyncio.Task[None]] = []
    clients: list[httpx.AsyncClient] = []

    async def run(brain: Brain, key: str, ready: asyncio.Future[tuple[LocalBrainAccess, str]],
                  ) -> None:
        async with LocalBrainAccess(brain, workspace_id="ws-test",
                                    brain_id="brain-test") as access:
            app = Starlette(routes=[Mount(
                "/feagi/{key}", app=FeagiApp(lambda scope: StaticKeyResolver({key: access})))])
            server, task, origin = await _serve(app)
            ready.set_result((access, origin))
            await stop.wait()
            server.should_exit = True
            await asyncio.wait_for(task, 15)

    async def start(brain: Brain) -> FeagiServer:
        key = new_key()
        ready: asyncio.Future[tuple[LocalBrainAccess, str]] = (
            asyncio.get_running_loop().create_future())
        runner = asyncio.get_running_loop().create_task(run(brain, key, ready))
        runners.append(runner)
        access, origin = await asyncio.wait_for(asyncio.shield(ready), 15)
        http = await http_client()
        clients.append(http)
        return FeagiServer(origin, key, access, http)

    yield start
    for http in clients:
        await http.aclose()
    stop.set()
    for runner in runners:
        await asyncio.wait_for(runner, 20)


def barebones_brain() -> Brain:
    return Brain.develop(load_template("barebones"))


def essential_brain() -> Brain:
    return Brain.develop(load_genome(ESSENTIAL_PATH.read_bytes()))


async def developed(make: Callable[[], Brain]) -> Brain:
    """A brain grown on a worker thread (development is CPU work; the loop must not wait)."""
    return await anyio.to_thread.run_sync(make)


@pytest.fixture
async def barebones(serve_brain: Callable[[Brain], Any]) -> FeagiServer:
    server: FeagiServer = await serve_brain(await developed(barebones_brain))
    return server


@pytest.fixture
async def essential(serve_brain: Callable[[Brain], Any]) -> FeagiServer:
    server: FeagiServer = await serve_brain(await developed(essential_brain))
    return server


# --------------------------------------------------------------------------- the real app





smtp_server = _fx.smtp_server
mailbox = _fx.mailbox
_unique = itertools.count()


@dataclass
class Admin:
    """A logged-in user owning one workspace."""

    workspace_id: str
    headers: dict[str, str]
    email: str


@dataclass
class HostedServer:
    """The real brainhost app under uvicorn; FEAGI keys issued over its REST API."""

    origin: str
    http: httpx.AsyncClient
    mailbox: Any
    app: Starlette

    async def admin(self) -> Admin:
        address = f"feagi-{next(_unique)}@example.org"
        body = await _fx.login(self.http, self.mailbox, address)
        headers = _fx.bearer(body["access_token"])
        created = await self.http.post(
            "/v1/workspaces", headers=headers,
            json={"name": "feagi space", "slug": f"feagi-{next(_unique)}"})
        assert created.status_code == 201, created.text
        return Admin(created.json()["id"], headers, address)

    async def brain(self, admin: Admin, template: str = "barebones") -> str:
        created = await self.http.post(f"/v1/workspaces/{admin.workspace_id}/brains",
                                       json={"name": "feagi brain", "template": template},
                                       headers=admin.headers)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    def keys_path(self, admin: Admin, brain: str) -> str:
        return f"/v1/workspaces/{admin.workspace_id}/brains/{brain}/feagi_keys"

    async def issue(self, admin: Admin, brain: str) -> dict[str, Any]:
        issued = await self.http.post(self.keys_path(admin, brain), headers=admin.headers)
        assert issued.status_code == 201, issued.text
        body: dict[str, Any] = issued.json()
        return body


@pytest.fixture
def hosted_env() -> dict[str, str]:
    """Extra BRAINHOST_* variables for `hosted`; a test module overrides this."""
    return {}


@pytest.fixture
async def hosted(tmp_path: Path, smtp_server: Any, mailbox: Any,
                 hosted_env: dict[str, str]) -> AsyncIterator[HostedServer]:
    settings = load_settings({
        "BRAINHOST_DATA_DIR": str(tmp_path / "data"),
        "BRAINHOST_SMTP_HOST": smtp_server.host,
        "BRAINHOST_SMTP_PORT": str(smtp_server.port),
        "BRAINHOST_SMTP_STARTTLS": "false",
        "BRAINHOST_MAIL_FROM": "login@brainhost.test",
        **hosted_env,
    })
    app = await anyio.to_thread.run_sync(create_app, settings)  # builds the OpenAPI document
    async with app.router.lifespan_context(app):
        server, task, origin = await _serve(app)
        async with await http_client(base_url=origin) as http:
            yield HostedServer(origin, http, mailbox, app)
        server.should_exit = True
        await asyncio.wait_for(task, 15)
