"""Where a websocket client's access token comes from, and keeping it out of logs.

Browsers cannot set headers on a websocket handshake, so besides ``Authorization: Bearer``
the token may come as the subprotocol pair ``bearer, <token>`` (the server then answers
with the ``bearer`` subprotocol only) or as the ``token`` query parameter. uvicorn logs the
handshake's path *with* its query string; `TokenRedactingFilter` rewrites those lines.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

__all__ = [
    "BEARER_SUBPROTOCOL",
    "Credentials",
    "TokenRedactingFilter",
    "install_token_redaction",
    "websocket_credentials",
]

BEARER_SUBPROTOCOL = "bearer"
MAX_TOKEN_LENGTH = 8192
_QUERY_TOKEN = re.compile(r"([?&]token=)[^&\s\"']*", re.IGNORECASE)
# "Authorization: Bearer <t>" and "Sec-WebSocket-Protocol: bearer, <t>" (logged by the
# websockets protocol at debug level, header by header).
_BEARER_VALUE = re.compile(r"(bearer[ ,]+)[^\s,\"']+", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Credentials:
    """The token presented (None when there was none) and the subprotocol to accept."""

    token: str | None
    subprotocol: str | None
    source: str


def websocket_credentials(
    headers: Mapping[str, str], subprotocols: Sequence[str], query_string: bytes
) -> Credentials:
    """The bearer token of a handshake: header first, then subprotocol, then ``?token=``.

    ``bearer`` is accepted as the subprotocol whenever the client offered it, even when the
    token is missing or bad, so a browser sees the 4401 close instead of a failed handshake.
    """
    subprotocol = BEARER_SUBPROTOCOL if BEARER_SUBPROTOCOL in subprotocols else None
    header = headers.get("authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        value = value.strip()
        token = value if scheme.lower() == "bearer" and value else None
        return Credentials(_bounded(token), subprotocol, "header")
    if subprotocol is not None:
        at = list(subprotocols).index(BEARER_SUBPROTOCOL)
        token = subprotocols[at + 1] if at + 1 < len(subprotocols) else None
        return Credentials(_bounded(token), subprotocol, "subprotocol")
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if name == "token":
            return Credentials(_bounded(value or None), None, "query")
    return Credentials(None, None, "none")


def _bounded(token: str | None) -> str | None:
    return token if token is not None and len(token) <= MAX_TOKEN_LENGTH else None


def redact_tokens(text: str) -> str:
    """``text`` with every ``token=`` query value and bearer credential replaced."""
    if "token=" in text:
        text = _QUERY_TOKEN.sub(r"\1[redacted]", text)
    if "earer" in text or "EARER" in text:
        text = _BEARER_VALUE.sub(r"\1[redacted]", text)
    return text


class TokenRedactingFilter(logging.Filter):
    """Rewrites log records whose message or arguments carry a token.

    uvicorn logs each websocket handshake's path with its query string at info level, and
    the websockets protocol logs every handshake header at debug level.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        args: Any = record.args
        if isinstance(args, tuple) and any(isinstance(arg, str) for arg in args):
            record.args = tuple(redact_tokens(arg) if isinstance(arg, str) else arg for arg in args)
        return True


_FILTER = TokenRedactingFilter()


def install_token_redaction(logger_names: Sequence[str] = ("uvicorn.error", "uvicorn")) -> None:
    """Attach the redacting filter to uvicorn's loggers (idempotent)."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
