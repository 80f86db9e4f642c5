"""structlog configuration: JSON lines (or console on a TTY) with secrets redacted."""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

__all__ = ["REDACTED", "configure_logging", "redact_secrets"]

REDACTED = "[redacted]"
_SECRET_KEYS = ("password", "secret", "token", "authorization", "cookie", "code", "api_key")
_NOT_SECRET = frozenset({"event", "status_code", "exit_code", "error_code"})


def redact_secrets(
    logger: Any, method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the value of any key that names a secret; a log line never carries one."""
    for key in list(event_dict):
        lowered = key.lower()
        if lowered not in _NOT_SECRET and any(word in lowered for word in _SECRET_KEYS):
            event_dict[key] = REDACTED
    return event_dict


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Route structlog and stdlib logging (uvicorn's too) through one renderer."""
    use_console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]
    structlog.configure(
        processors=[
            # First: a call below the level costs a level check, not the whole chain.
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # uvicorn's access log repeats what our request middleware logs, with raw query strings.
    logging.getLogger("uvicorn.access").disabled = True
