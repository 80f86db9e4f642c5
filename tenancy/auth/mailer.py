"""Delivering login codes: over SMTP (aiosmtplib) or, with no SMTP server, to a local outbox.

`SmtpCodeMailer` never writes the code to a log: the log line says that a code was sent
and to whom, nothing more. `OutboxCodeMailer` is the embedded default for one person
running the service locally: the code goes to the log and to
``<data dir>/outbox/<timestamp>-<address>.eml`` so they can log in without a mail server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib
import anyio
import structlog

from tenancy.errors import MailDeliveryError

__all__ = [
    "CodeMailer",
    "OutboxCodeMailer",
    "SmtpCodeMailer",
    "SmtpConfig",
    "build_code_message",
]

_log = structlog.get_logger("brainhost.auth.mail")
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9@._+-]")


class CodeMailer(Protocol):
    """Sends one login code to one address."""

    async def send_code(self, email: str, code: str, ttl_s: float) -> None: ...


def build_code_message(sender: str, to: str, code: str, ttl_s: float) -> EmailMessage:
    """The plain-text mail carrying a login code."""
    minutes = max(1, round(ttl_s / 60))
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = f"Your brainhost login code: {code}"
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message["Date"] = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content(
        f"Your login code is {code}\n\n"
        f"It is valid for {minutes} minutes and can be used once.\n"
        "If you did not ask for it, ignore this mail.\n"
    )
    return message


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where system mail goes. `password` is held, never logged."""

    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    starttls: bool = True
    sender: str = "brainhost@localhost"
    timeout_s: float = 15.0

    def __repr__(self) -> str:
        return f"SmtpConfig(host={self.host!r}, port={self.port}, username={self.username!r})"


class SmtpCodeMailer:
    """Sends codes through an SMTP server; failures become `MailDeliveryError`."""

    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send_code(self, email: str, code: str, ttl_s: float) -> None:
        config = self._config
        message = build_code_message(config.sender, email, code, ttl_s)
        try:
            await aiosmtplib.send(
                message,
                hostname=config.host,
                port=config.port,
                username=config.username or None,
                password=config.password or None,
                start_tls=config.starttls,
                timeout=config.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The exception text may quote the server's reply, never the message body.
            _log.warning("login_code_mail_failed", to=email, error=type(exc).__name__)
            raise MailDeliveryError(
                "the mail server could not take the login code; try again shortly"
            ) from None
        _log.info("login_code_sent", to=email)


class OutboxCodeMailer:
    """Writes codes to `<outbox>/<timestamp>-<address>.eml` and to the log."""

    def __init__(self, outbox: Path, sender: str = "brainhost@localhost") -> None:
        self._outbox = outbox
        self._sender = sender

    @property
    def outbox(self) -> Path:
        return self._outbox

    async def send_code(self, email: str, code: str, ttl_s: float) -> None:
        message = build_code_message(self._sender, email, code, ttl_s)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = self._outbox / f"{stamp}-{_UNSAFE_FILENAME.sub('_', email)}.eml"
        await anyio.to_thread.run_sync(self._write, path, message.as_bytes())
        # Embedded mode only: with no mail server the log is how a local user gets in. The
        # code is in the event text on purpose: key-based secret redaction must not hide it.
        _log.warning(f"login code {code} for {email} (no SMTP server; mail in {path})")

    def _write(self, path: Path, data: bytes) -> None:
        self._outbox.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
