"""`brainhost serve` as a real process: ready over HTTP before the burst kernels are loaded,
brains served once they are, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

# `brainhost serve`, noting on stderr which thread imports numba (first).
_SERVE_WITH_NUMBA_SPY = """
import json, sys, threading

class NumbaSpy:
    seen = False

    def find_spec(self, name, path, target=None):
        if name == "numba" and not self.seen:
            self.seen = True
            event = {"event": "numba_imported", "thread": threading.current_thread().name}
            print(json.dumps(event), file=sys.stderr, flush=True)
        return None

sys.meta_path.insert(0, NumbaSpy())
from app.cli import main
sys.exit(main(["serve"]))
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(
    tmp_path: Path, *python_args: str, **extra: str
) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "BRAINHOST_PORT": str(port),
        "BRAINHOST_DATA_DIR": str(tmp_path / "data"),
        "BRAINHOST_LOG_FORMAT": "json",
        **extra,
    }
    process = subprocess.Popen(
        [sys.executable, *(python_args or ("-m", "app.cli", "serve"))],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    return process, port


def _wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            assert process.stderr is not None
            raise AssertionError(f"server exited early: {process.stderr.read().decode()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/ready", timeout=1) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.05)
    raise AssertionError("server never became ready")


def _call(
    port: int, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Content-Type": "application/json"},
    )
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _log_events(process: subprocess.Popen[bytes]) -> list[dict[str, Any]]:
    assert process.stderr is not None
    lines = process.stderr.read().decode().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_the_serve_path_imports_neither_numba_nor_pymongo_nor_jsonschema() -> None:
    # Together most of a second of start-up: numba (with the kernels) is loaded after ready,
    # pymongo only for a MongoDB store, jsonschema only for a registry with apps.
    heavy = ("numba", "brains.npu.kernels", "pymongo", "jsonschema")
    code = (
        "import sys, app.cli, app.main, app.server; "
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, timeout=60
    )
    assert result.stdout.decode().strip() == "[]"


def test_serve_loads_the_kernels_after_ready_off_the_loop_and_serves_brains_meanwhile(
    tmp_path: Path,
) -> None:
    process, port = _start(tmp_path, "-c", _SERVE_WITH_NUMBA_SPY)
    try:
        _wait_ready(process, port)
        # Straight away, while the kernels are (most likely) still loading: the brain
        # requests wait for them instead of failing.
        email = "first@example.org"
        assert _call(port, "POST", "/v1/auth/code", {"email": email})[0] == 202
        mail = next((tmp_path / "data" / "outbox").glob("*.eml")).read_text()
        code = re.search(r"login code: (\d{6})", mail)
        assert code is not None
        _, login = _call(port, "POST", "/v1/auth/verify", {"email": email, "code": code[1]})
        token = login["access_token"]
        status, workspace = _call(
            port, "POST", "/v1/workspaces", {"name": "Lab", "slug": "lab"}, token
        )
        assert status == 201, workspace
        brains = f"/v1/workspaces/{workspace['id']}/brains"
        status, brain = _call(
            port, "POST", brains, {"name": "b", "template": "barebones"}, token
        )
        assert status == 201, brain
        status, stepped = _call(port, "POST", f"{brains}/{brain['id']}/step", {"n": 3}, token)
        assert (status, stepped) == (200, {"burst_count": 3})
        assert _call(port, "GET", "/v1/health")[1]["kernels"] == "ready"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    events = _log_events(process)
    names = [event["event"] for event in events]
    assert names.index("ready") < names.index("numba_imported")
    assert events[names.index("numba_imported")]["thread"] == "kernel warm-up"
    loaded = events[names.index("kernels.loaded")]
    assert loaded["seconds"] > 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_becomes_ready_and_exits_zero_on_signal(tmp_path: Path, signum: int) -> None:
    process, port = _start(tmp_path)
    try:
        _wait_ready(process, port)
        process.send_signal(signum)
        started = time.monotonic()
        code = process.wait(timeout=10)
        assert code == 0
        assert time.monotonic() - started < 10
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    logs = _log_events(process)
    events = {line["event"] for line in logs}
    assert {"ready", "listening", "stopped"} <= events
    listening = next(line for line in logs if line["event"] == "listening")
    assert listening["cold_start_ms"] > 0


def test_serve_refuses_a_bad_setting_naming_the_variable(tmp_path: Path) -> None:
    process, _ = _start(tmp_path, BRAINHOST_PORT="nope")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert b"BRAINHOST_PORT" in stderr


def test_serve_fails_with_nonzero_exit_when_the_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process, _ = _start(tmp_path, BRAINHOST_PORT=str(port))
        process.communicate(timeout=30)
    assert process.returncode != 0
