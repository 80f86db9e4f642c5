"""`brainhost serve` as a real process on a real socket: log in by mail, end to end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tenancy_fixtures import SmtpServer, log_text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(
    tmp_path: Path, smtp_server: SmtpServer
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {
        **os.environ,
        "BRAINHOST_PORT": str(port),
        "BRAINHOST_DATA_DIR": str(tmp_path / "data"),
        "BRAINHOST_LOG_FORMAT": "json",
        "BRAINHOST_LOG_LEVEL": "debug",
        "BRAINHOST_SMTP_HOST": smtp_server.host,
        "BRAINHOST_SMTP_PORT": str(smtp_server.port),
        "BRAINHOST_SMTP_STARTTLS": "false",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{base}/v1/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server never became ready"
            time.sleep(0.05)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=15)


def test_log_in_over_a_real_socket_and_keep_the_code_out_of_the_logs(
    served: tuple[str, subprocess.Popen[bytes]], smtp_server: SmtpServer
) -> None:
    base, process = served
    address = f"served-{os.getpid()}@example.org"
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.post("/v1/auth/code", json={"email": address}).status_code == 202
        code = smtp_server.mailbox.code_for(address)
        verified = client.post("/v1/auth/verify", json={"email": address, "code": code})
        assert verified.status_code == 200
        token = verified.json()["access_token"]
        me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["user"]["email"] == address
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=15)
    logs = log_text((out + err).decode())
    assert "login_code_sent" in logs
    assert code not in logs
    assert token not in logs
