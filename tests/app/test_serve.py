"""`brainhost serve` as a real process: ready over HTTP, clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(tmp_path: Path, **extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {
        **os.environ,
        "BRAINHOST_PORT": str(port),
        "BRAINHOST_DATA_DIR": str(tmp_path / "data"),
        "BRAINHOST_LOG_FORMAT": "json",
        **extra,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
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
    assert process.stderr is not None
    lines = process.stderr.read().decode().splitlines()
    logs = [json.loads(line) for line in lines if line.startswith("{")]
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
