"""A real brainhost (uvicorn on a loopback port, the production server config) per test, real
logins over HTTP with mailed codes, and `websockets` clients.

``@pytest.mark.ws_env(BRAINHOST_WS_HEARTBEAT_S="0.2", ...)`` sets extra variables for the
server of one test.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import tenancy_fixtures as _fx
import uvicorn
from ws_support import LiveServer

from app.main import create_app
from app.server import server_config
from app.settings import load_settings

smtp_server = _fx.smtp_server
mailbox = _fx.mailbox


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "ws_env(**variables): BRAINHOST_* for this test's server")
    config.addinivalue_line("markers", "uvicorn(**options): uvicorn.Config overrides")


@pytest.fixture
async def server(
    request: pytest.FixtureRequest, tmp_path: Path, smtp_server: Any, mailbox: Any
) -> AsyncIterator[LiveServer]:
    env = {
        "BRAINHOST_DATA_DIR": str(tmp_path / "data"),
        "BRAINHOST_PORT": str(_fx._free_port()),
        "BRAINHOST_SMTP_HOST": smtp_server.host,
        "BRAINHOST_SMTP_PORT": str(smtp_server.port),
        "BRAINHOST_SMTP_STARTTLS": "false",
        "BRAINHOST_MAIL_FROM": "login@brainhost.test",
    }
    marker = request.node.get_closest_marker("ws_env")
    if marker is not None:
        env.update(marker.kwargs)
    settings = load_settings(env)
    app = await asyncio.to_thread(create_app, settings)  # ~50 ms of CPU: off the loop
    config = server_config(app, settings)
    uvicorn_marker = request.node.get_closest_marker("uvicorn")
    if uvicorn_marker is not None:
        for key, value in uvicorn_marker.kwargs.items():
            setattr(config, key, value)
    uv = uvicorn.Server(config)
    task = asyncio.get_running_loop().create_task(uv.serve())
    deadline = time.monotonic() + 10
    while not uv.started:
        assert not task.done(), "uvicorn exited during startup"
        assert time.monotonic() < deadline, "uvicorn did not start"
        await asyncio.sleep(0.01)
    base_url = f"http://{settings.host}:{settings.port}"
    # Building its TLS context (certifi) takes ~100 ms of CPU: off the loop as well.
    client = await asyncio.to_thread(httpx.AsyncClient, base_url=base_url, timeout=10)
    async with client as http:
        yield LiveServer(app, settings, base_url, http, mailbox, _fx)
    uv.should_exit = True
    await asyncio.wait_for(task, 15)
