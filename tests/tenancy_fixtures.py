"""Fixtures for tenancy tests: a real SMTP server, a real SQLite store, the real app.

Loaded by the conftest files of ``tests/tenancy/auth``, ``tests/tenancy/workspaces`` and
``tests/app`` (see `load`), so each fixture is defined once.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import json
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from aiosmtpd.controller import Controller
from starlette.applications import Starlette

from app.main import create_app
from app.settings import Settings, load_settings
from tenancy.auth import AuthService, SmtpCodeMailer, SmtpConfig
from tenancy.auth.keys import KeyRing
from tenancy.auth.service import AuthLimits
from tenancy.auth.tokens import AccessTokenCodec
from tenancy.store import Store, open_store
from tenancy.workspaces import AppRegistry, DomainResolver, WorkspaceService

_CODE = re.compile(r"login code: (\d{6})")

APPS_REGISTRY = {
    "apps": [
        {
            "id": "mail-responder",
            "version": "1.2.0",
            "name": "Mail responder",
            "settings_schema": {
                "type": "object",
                "properties": {
                    "mailbox": {"type": "string", "format": "email", "maxLength": 254},
                    "max_replies_per_hour": {"type": "integer", "minimum": 1, "maximum": 500},
                },
                "required": ["mailbox"],
                "additionalProperties": False,
            },
        },
        {"id": "notes", "version": "0.1.0", "settings_schema": {"type": "object"}},
    ]
}


class FakeClock:
    """Wall and monotonic time that only move when told to."""

    def __init__(self, start: float | None = None) -> None:
        # Starts at the real time: tokens are verified by pyjwt against the wall clock.
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Mail:
    recipient: str
    subject: str
    body: str
    raw: bytes


class Mailbox:
    """An aiosmtpd handler that keeps every delivered message."""

    def __init__(self) -> None:
        self.messages: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(("plain",))
        text = body.get_content() if body is not None else ""  # type: ignore[union-attr]
        with self._lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append(
                    Mail(rcpt.lower(), str(message["Subject"]), text, envelope.content)
                )
        return "250 OK"

    def to(self, address: str) -> list[Mail]:
        with self._lock:
            return [m for m in self.messages if m.recipient == address.lower()]

    def code_for(self, address: str) -> str:
        """The code of the latest mail to `address`."""
        mails = self.to(address)
        assert mails, f"no mail was delivered to {address}"
        match = _CODE.search(mails[-1].subject)
        assert match is not None, mails[-1].subject
        return match.group(1)


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback for the whole session."""
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


@pytest.fixture
def mailbox(smtp_server: SmtpServer) -> Mailbox:
    return smtp_server.mailbox


_addresses = iter(range(10**9))


@pytest.fixture
def new_email() -> Any:
    """A fresh address per call, so tests sharing the session SMTP server never collide."""

    def make(name: str = "user") -> str:
        return f"{name}-{next(_addresses)}@example.org"

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A real SQLite store in a fresh directory."""
    opened = await open_store("sqlite:///store", data_dir=tmp_path)
    try:
        yield opened
    finally:
        await opened.aclose()


def make_codec(clock: FakeClock | None = None, *, ttl_s: int = 900) -> AccessTokenCodec:
    return AccessTokenCodec(
        KeyRing.hs256(b"t" * 32),
        issuer="brainhost",
        audience="brainhost-api",
        ttl_s=ttl_s,
        **({"clock": clock} if clock is not None else {}),
    )


@pytest.fixture
def auth(store: Store, smtp_server: SmtpServer, clock: FakeClock) -> AuthService:
    """The auth service on the real store and SMTP server, with a fake clock."""
    mailer = SmtpCodeMailer(
        SmtpConfig(
            host=smtp_server.host,
            port=smtp_server.port,
            starttls=False,
            sender="login@brainhost.test",
        )
    )
    return AuthService(
        store,
        make_codec(),
        mailer,
        code_key=b"c" * 32,
        clock=clock,
        monotonic=clock,
        limits=AuthLimits(),
    )


@pytest.fixture
def workspaces(store: Store, clock: FakeClock) -> WorkspaceService:
    registry = AppRegistry.from_json(json.dumps(APPS_REGISTRY).encode())
    return WorkspaceService(
        store, registry, resolver=DomainResolver(store.domains, clock=clock), monotonic=clock
    )


# ----------------------------------------------------------------------- real app


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "apps.json"
    path.write_text(json.dumps(APPS_REGISTRY))
    return path


@pytest.fixture
def settings_overrides() -> dict[str, str]:
    """Extra BRAINHOST_* variables for `tenancy_settings`; a test module overrides this."""
    return {}


@pytest.fixture
def tenancy_settings(
    tmp_path: Path,
    smtp_server: SmtpServer,
    registry_file: Path,
    settings_overrides: dict[str, str],
) -> Settings:
    return load_settings(
        {
            "BRAINHOST_DATA_DIR": str(tmp_path / "data"),
            "BRAINHOST_APPS_REGISTRY": str(registry_file),
            "BRAINHOST_SMTP_HOST": smtp_server.host,
            "BRAINHOST_SMTP_PORT": str(smtp_server.port),
            "BRAINHOST_SMTP_STARTTLS": "false",
            "BRAINHOST_MAIL_FROM": "login@brainhost.test",
            **settings_overrides,
        }
    )


@pytest.fixture
async def tenancy_app(tenancy_settings: Settings) -> AsyncIterator[Starlette]:
    application = create_app(tenancy_settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def api(tenancy_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the real app (ASGI, in process)."""
    transport = httpx.ASGITransport(app=tenancy_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://brainhost.test") as c:
        yield c


async def login(client: httpx.AsyncClient, mailbox: Mailbox, address: str) -> dict[str, Any]:
    """Log in over HTTP with the mailed code; returns the verify response body."""
    sent = await client.post("/v1/auth/code", json={"email": address})
    assert sent.status_code == 202, sent.text
    verified = await client.post(
        "/v1/auth/verify", json={"email": address, "code": mailbox.code_for(address)}
    )
    assert verified.status_code == 200, verified.text
    body: dict[str, Any] = verified.json()
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


_NOISE = ("timestamp", "request_id")


def _without_noise(message: Any) -> Any:
    """Drop fields full of random digits (a 6-digit code could match them by chance)."""
    if isinstance(message, dict):
        return {k: v for k, v in message.items() if k not in _NOISE}
    return message


def log_text(raw: str) -> str:
    """JSON log lines with their noisy fields removed (see `_without_noise`)."""
    kept = []
    for line in raw.splitlines():
        try:
            kept.append(repr(_without_noise(json.loads(line))))
        except ValueError:
            kept.append(line)
    return "\n".join(kept)


@contextlib.contextmanager
def captured_logs() -> Iterator[list[str]]:
    """Every log line our code emits, through structlog and stdlib logging.

    aiosmtpd's own logger is left out: it is the test's stand-in for a remote mail server.
    """
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.name.startswith("mail.log"):
                return
            lines.append(f"{record.name} {_without_noise(record.msg)!r} {record.args!r}")

    handler = Collect(level=logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        with structlog.testing.capture_logs() as events:
            yield lines
            lines.extend(repr(_without_noise(event)) for event in events)
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
