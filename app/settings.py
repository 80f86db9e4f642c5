"""Service settings, read once from ``BRAINHOST_*`` environment variables.

Every setting has an embedded default so ``brainhost serve`` runs on a fresh machine.
A bad value stops the process with a message naming the variable (see
:class:`SettingsError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

__all__ = ["ENV_PREFIX", "Settings", "SettingsError", "load_settings"]

ENV_PREFIX = "BRAINHOST_"
_RATE = r"^[1-9][0-9]{0,6}/[1-9][0-9]{0,6}$"


class SettingsError(Exception):
    """One or more ``BRAINHOST_*`` variables hold a value the service cannot use."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration: " + "; ".join(problems))


class Settings(BaseModel):
    """All configuration of one brainhost process. Field ``x`` is variable ``BRAINHOST_X``."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    # Edge
    host: str = Field("127.0.0.1", description="Interface the HTTP server binds to.")
    port: int = Field(5002, ge=1, le=65535, description="TCP port of the HTTP server.")
    data_dir: Path = Field(Path("./var"), description="Where all local state is kept.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest log level written."
    )
    log_format: Literal["auto", "json", "console"] = Field(
        "auto", description="auto = console on a TTY, JSON otherwise."
    )
    max_body_bytes: int = Field(
        1_048_576, ge=1024, le=64 * 1_048_576, description="Largest accepted request body."
    )
    shutdown_timeout_s: float = Field(
        8.0, gt=0, le=60, description="Time allowed to drain actors on SIGTERM/SIGINT."
    )

    # Storage
    store: str = Field(
        "", description="Store URL: sqlite:///<dir> or mongodb://... (default: <data_dir>/store)."
    )
    mongo_db_per_workspace: bool = Field(
        False, description="MongoDB only: one database per workspace (isolation tier)."
    )

    # Tokens and sessions
    access_token_ttl_s: int = Field(
        900, ge=30, le=86_400, alias="BRAINHOST_ACCESS_TOKEN_TTL",
        description="Access token lifetime in seconds.",
    )
    session_ttl_s: int = Field(
        7 * 86_400, ge=300, le=90 * 86_400, alias="BRAINHOST_SESSION_TTL",
        description="Session (refresh token family) lifetime in seconds.",
    )
    auth_cache_ttl_s: float = Field(
        1.0, ge=0, le=60, alias="BRAINHOST_AUTH_CACHE_TTL",
        description=(
            "Seconds a token found not revoked and a workspace seat are trusted without a "
            "store read (0: read every time). Changes made in this process apply at once; "
            "in another process, within this time."
        ),
    )
    jwt_secret: SecretStr | None = Field(
        None,
        min_length=32,
        description="HS256 secret (>= 32 characters); generated into <data_dir> when unset.",
    )
    jwt_algorithm: Literal["HS256", "EdDSA"] = Field(
        "HS256", description="Signing algorithm for access tokens."
    )
    jwt_keys_dir: Path | None = Field(
        None, description="EdDSA key ring directory (default <data_dir>/jwt-keys)."
    )
    jwt_issuer: str = Field("brainhost", description="`iss` claim of access tokens.")
    jwt_audience: str = Field("brainhost-api", description="`aud` claim of access tokens.")

    # System mail (login codes)
    smtp_host: str = Field("", description="SMTP server for system mail; empty = outbox dir.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP port.")
    smtp_username: str = Field("", description="SMTP user name.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_starttls: bool = Field(True, description="Use STARTTLS with the SMTP server.")
    mail_from: str = Field("brainhost@localhost", description="Sender of system mail.")

    # Login rate limits, "<count>/<seconds>" token buckets
    code_limit_per_email: str = Field(
        "5/3600", pattern=_RATE, description="Login codes sent to one address."
    )
    code_limit_per_ip: str = Field(
        "30/3600", pattern=_RATE, description="Login codes requested from one client IP."
    )
    verify_limit_per_ip: str = Field(
        "60/600", pattern=_RATE, description="Code verifications from one client IP."
    )

    # Workspaces
    apps_registry: Path | None = Field(
        None, description="JSON file listing installable apps (id, version, settings schema)."
    )

    # Websocket /v1/ws
    ws_max_message: int = Field(
        1_048_576, ge=1024, le=16 * 1_048_576,
        description="Largest websocket message a client may send; a larger one closes with 1009.",
    )
    ws_heartbeat_s: float = Field(
        30.0, gt=0, le=3600,
        description="Seconds between heartbeat frames; a send blocked this long ends the socket.",
    )
    ws_send_queue: int = Field(
        256, ge=1, le=65_536,
        description="Events queued per websocket subscription before the oldest are dropped.",
    )
    ws_command_rate: str = Field(
        "20/1", description="Commands per websocket connection, '<count>/<seconds>' (token bucket)."
    )
    ws_max_subscriptions: int = Field(
        128, ge=1, le=10_000, description="Topics one websocket connection may subscribe to."
    )

    # Brain host
    brain_default_hz: float = Field(
        10.0, gt=0, le=100_000, description="Burst frequency of a brain created without one."
    )
    event_hz: float = Field(
        30.0, gt=0, le=1000, description="Most `burst` events per second published per brain."
    )
    brain_idle_s: float = Field(
        300.0, gt=0, le=7 * 86_400,
        description="Seconds without use before a brain that is not running is passivated.",
    )
    genome_max_body_bytes: int = Field(
        16 * 1_048_576, ge=1024, le=256 * 1_048_576,
        description="Largest accepted body of a request carrying a genome.",
    )
    quota_max_brains: int = Field(100, ge=0, description="Brains per workspace.")
    quota_max_neurons: int = Field(
        2_000_000, ge=0, description="Neurons of all brains of a workspace together."
    )
    quota_max_synapses: int = Field(
        20_000_000, ge=0, description="Synapses of all brains of a workspace together."
    )
    quota_max_frequency_hz: float = Field(
        1000.0, gt=0, le=100_000, description="Highest burst frequency a brain may run at."
    )
    quota_max_ws_connections: int = Field(
        100, ge=0, description="Open websocket connections per workspace."
    )

    @field_validator("host")
    @classmethod
    def _host_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("ws_command_rate")
    @classmethod
    def _rate_is_count_per_seconds(cls, value: str) -> str:
        count, slash, period = value.partition("/")
        try:
            valid = bool(slash) and int(count) >= 1 and float(period) > 0
        except ValueError:
            valid = False
        if not valid:
            raise ValueError("expected '<count>/<seconds>' with count >= 1 and seconds > 0")
        return value

    @property
    def store_url(self) -> str:
        """The effective store URL (the embedded SQLite store under the data dir by default)."""
        return self.store or f"sqlite:///{(self.data_dir / 'store').resolve()}"


def _variable_name(field_name: str) -> str:
    field = Settings.model_fields.get(field_name)
    if field is not None and field.alias:
        return field.alias
    return ENV_PREFIX + field_name.upper()


def _is_secret(location: str) -> bool:
    lowered = location.lower()
    return "secret" in lowered or "password" in lowered


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (default: the process environment).

    Raises :class:`SettingsError` naming every offending variable.
    """
    if environ is None:
        environ = os.environ
    try:
        values = {
            key.upper(): value
            for key, value in environ.items()
            if key.upper().startswith(ENV_PREFIX)
        }
        by_field: dict[str, str] = {}
        for name, field in Settings.model_fields.items():
            variable = (field.alias or ENV_PREFIX + name).upper()
            if variable in values:
                by_field[field.alias or name] = values[variable]
        return Settings.model_validate(by_field)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = str(error["loc"][0]) if error["loc"] else "?"
            variable = location if location.startswith(ENV_PREFIX) else _variable_name(location)
            shown = "" if _is_secret(location) else f" (got {error.get('input')!r})"
            problems.append(f"{variable}: {error['msg']}{shown}")
        raise SettingsError(problems) from None
