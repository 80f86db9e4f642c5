"""Records stored by `tenancy.store`: frozen dataclasses, one per kind of stored thing.

Records are plain values. They check their own invariants on construction (identifiers are
safe keys, datetimes are timezone-aware, enumerated fields hold a known value) so that a
malformed value fails where it is made, not deep inside an adapter.

Timestamps round-trip exactly (microsecond precision, returned in UTC) on every adapter.
JSON-valued fields (`settings`, `genome`, `data`, `headers`) hold JSON-compatible values and
come back equal, not identical.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from tenancy.store.errors import InvalidRecord

__all__ = [
    "BRAIN_STATES",
    "KEY_PATTERN",
    "BrainRecord",
    "BrainSnapshot",
    "BrainState",
    "CodeCheck",
    "CodeOutcome",
    "Domain",
    "FeagiKey",
    "InstalledApp",
    "JSONObject",
    "LoginCode",
    "Member",
    "MemberKind",
    "Membership",
    "Memory",
    "RevokedToken",
    "Role",
    "Rotation",
    "RotationOutcome",
    "RunningBrain",
    "Session",
    "Thread",
    "ThreadMessage",
    "User",
    "Workspace",
    "check_key",
    "email_key",
]

JSONObject = Mapping[str, Any]
"""A JSON object (``dict`` parsed from / serialisable to JSON)."""

Role = Literal["owner", "admin", "member"]
MemberKind = Literal["human", "digital"]

ROLES: tuple[Role, ...] = ("owner", "admin", "member")
MEMBER_KINDS: tuple[MemberKind, ...] = ("human", "digital")

KEY_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,48}")
"""Identifiers (user, workspace, session, member, brain... ids) are 1-48 chars of
``[A-Za-z0-9_-]``: safe as file names and MongoDB database-name suffixes."""


def check_key(value: str, what: str) -> str:
    """Return `value` if it is a valid identifier, else raise `InvalidRecord` naming `what`."""
    if not isinstance(value, str) or KEY_PATTERN.fullmatch(value) is None:
        raise InvalidRecord(
            f"{what} must be 1-48 characters of letters, digits, '_' or '-'; got {value!r}"
        )
    return value


def email_key(email: str) -> str:
    """The case-insensitive identity of an email address (unique key for users, codes)."""
    return email.strip().casefold()


def _check_time(value: datetime, what: str) -> None:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecord(f"{what} must be a timezone-aware datetime; got {value!r}")


def _check_optional_key(value: str | None, what: str) -> None:
    if value is not None:
        check_key(value, what)


def _check_email(value: str, what: str) -> None:
    if not isinstance(value, str) or "@" not in value or len(value) > 320:
        raise InvalidRecord(f"{what} must be an email address of at most 320 chars; got {value!r}")


@dataclass(frozen=True, slots=True)
class User:
    """A person who has logged in at least once. `email` is unique case-insensitively."""

    id: str
    email: str
    created_at: datetime
    display_name: str | None = None

    def __post_init__(self) -> None:
        check_key(self.id, "user id")
        _check_email(self.email, "user email")
        _check_time(self.created_at, "user created_at")


@dataclass(frozen=True, slots=True)
class LoginCode:
    """The one live login code of an email address (issuing a new one replaces it).

    Only the HMAC of the code is stored; `attempts` counts wrong guesses.
    """

    email: str
    code_hmac: bytes
    created_at: datetime
    expires_at: datetime
    attempts: int = 0
    consumed: bool = False

    def __post_init__(self) -> None:
        _check_email(self.email, "login code email")
        if not isinstance(self.code_hmac, bytes) or not self.code_hmac:
            raise InvalidRecord("login code code_hmac must be non-empty bytes")
        _check_time(self.created_at, "login code created_at")
        _check_time(self.expires_at, "login code expires_at")
        if self.attempts < 0:
            raise InvalidRecord(f"login code attempts must be >= 0; got {self.attempts}")


class CodeOutcome(enum.Enum):
    """What `LoginCodeRepository.check` did with a submitted code."""

    ACCEPTED = "accepted"
    """The code matched; it is now consumed (no second check can accept it)."""
    MISMATCH = "mismatch"
    """Wrong code; `attempts` was incremented and the code is still usable."""
    EXHAUSTED = "exhausted"
    """Wrong code and the attempt budget is now (or was already) spent: the code is dead."""
    EXPIRED = "expired"
    """The latest code for this email has expired."""
    MISSING = "missing"
    """No live code: never issued, already consumed, or purged."""


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Result of `LoginCodeRepository.check`: the outcome and attempts used so far."""

    outcome: CodeOutcome
    attempts: int


@dataclass(frozen=True, slots=True)
class Session:
    """One refresh token of a login session.

    A login creates a family (`family_id`); each refresh rotates to a new `Session` in the
    same family and records the successor in `rotated_to` on the old one. Presenting a token
    whose `rotated_to` is already set is reuse: the whole family is revoked.
    """

    id: str
    user_id: str
    family_id: str
    token_hash: bytes
    created_at: datetime
    expires_at: datetime
    revoked: bool = False
    rotated_to: str | None = None

    def __post_init__(self) -> None:
        check_key(self.id, "session id")
        check_key(self.user_id, "session user_id")
        check_key(self.family_id, "session family_id")
        if not isinstance(self.token_hash, bytes) or not self.token_hash:
            raise InvalidRecord("session token_hash must be non-empty bytes")
        _check_time(self.created_at, "session created_at")
        _check_time(self.expires_at, "session expires_at")
        _check_optional_key(self.rotated_to, "session rotated_to")


class RotationOutcome(enum.Enum):
    """What `SessionRepository.rotate` did with a presented refresh token."""

    ROTATED = "rotated"
    """The token was live; it now points at the new session, which was stored."""
    REUSED = "reused"
    """The token had already been rotated: reuse detected, the whole family is revoked."""
    REVOKED = "revoked"
    """The token (or its family) was revoked."""
    EXPIRED = "expired"
    """The token has expired."""
    UNKNOWN = "unknown"
    """No session has this token hash."""


@dataclass(frozen=True, slots=True)
class Rotation:
    """Result of `SessionRepository.rotate`.

    `previous` is the session the presented token belonged to (None when UNKNOWN), as it was
    before the call; `current` is the newly stored session (only when ROTATED).
    """

    outcome: RotationOutcome
    previous: Session | None = None
    current: Session | None = None


@dataclass(frozen=True, slots=True)
class RevokedToken:
    """An access-token id (`jti`) revoked before its expiry; kept until `expires_at`."""

    jti: str
    expires_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.jti, str) or not 1 <= len(self.jti) <= 128:
            raise InvalidRecord(f"revoked token jti must be 1-128 chars; got {self.jti!r}")
        _check_time(self.expires_at, "revoked token expires_at")


@dataclass(frozen=True, slots=True)
class Workspace:
    """A tenant. `slug` is unique across all workspaces (stored as given, compared as is)."""

    id: str
    slug: str
    name: str
    created_at: datetime

    def __post_init__(self) -> None:
        check_key(self.id, "workspace id")
        if not isinstance(self.slug, str) or not 1 <= len(self.slug) <= 64:
            raise InvalidRecord(f"workspace slug must be 1-64 chars; got {self.slug!r}")
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 200:
            raise InvalidRecord(f"workspace name must be 1-200 chars; got {self.name!r}")
        _check_time(self.created_at, "workspace created_at")


@dataclass(frozen=True, slots=True)
class Member:
    """A seat in a workspace.

    Three shapes:
    - an active human: ``kind="human"``, `user_id` set (and `email`, informative);
    - a pending invitation: ``kind="human"``, `user_id` None, `email` set; the invitee gets
      it on login (`MembershipIndex.claim_invitations`);
    - a digital human: ``kind="digital"``, `brain_id` set (`email` optionally its mailbox).

    Unique per workspace: `user_id` (when set), and `email` case-insensitively (when set).
    """

    id: str
    workspace_id: str
    role: Role
    kind: MemberKind
    created_at: datetime
    user_id: str | None = None
    email: str | None = None
    brain_id: str | None = None

    def __post_init__(self) -> None:
        check_key(self.id, "member id")
        check_key(self.workspace_id, "member workspace_id")
        if self.role not in ROLES:
            raise InvalidRecord(f"member role must be one of {ROLES}; got {self.role!r}")
        if self.kind not in MEMBER_KINDS:
            raise InvalidRecord(f"member kind must be one of {MEMBER_KINDS}; got {self.kind!r}")
        _check_time(self.created_at, "member created_at")
        _check_optional_key(self.user_id, "member user_id")
        _check_optional_key(self.brain_id, "member brain_id")
        if self.email is not None:
            _check_email(self.email, "member email")
        if self.kind == "human":
            if self.user_id is None and self.email is None:
                raise InvalidRecord("a human member needs a user_id or (pending) an email")
            if self.brain_id is not None:
                raise InvalidRecord("a human member cannot be bound to a brain")
        else:
            if self.brain_id is None:
                raise InvalidRecord("a digital member needs a brain_id")
            if self.user_id is not None:
                raise InvalidRecord("a digital member cannot be a user")

    @property
    def pending(self) -> bool:
        """True for an invitation not yet claimed by a user."""
        return self.kind == "human" and self.user_id is None


@dataclass(frozen=True, slots=True)
class Membership:
    """A user's seat as listed across workspaces (`MembershipIndex.list_for_user`)."""

    workspace: Workspace
    member: Member


@dataclass(frozen=True, slots=True)
class InstalledApp:
    """An app installed in a workspace, with its validated settings."""

    app_id: str
    version: str
    settings: JSONObject
    installed_at: datetime

    def __post_init__(self) -> None:
        check_key(self.app_id, "app id")
        if not isinstance(self.version, str) or not 1 <= len(self.version) <= 64:
            raise InvalidRecord(f"app version must be 1-64 chars; got {self.version!r}")
        if not isinstance(self.settings, Mapping):
            raise InvalidRecord("app settings must be a JSON object")
        _check_time(self.installed_at, "app installed_at")


@dataclass(frozen=True, slots=True)
class Domain:
    """A mail/web domain owned by one workspace. Stored and compared lower-case."""

    domain: str
    workspace_id: str
    created_at: datetime

    def __post_init__(self) -> None:
        if (
            not isinstance(self.domain, str)
            or not 1 <= len(self.domain) <= 253
            or self.domain != self.domain.lower()
        ):
            raise InvalidRecord(
                f"domain must be 1-253 chars and lower-case (normalise first); got {self.domain!r}"
            )
        check_key(self.workspace_id, "domain workspace_id")
        _check_time(self.created_at, "domain created_at")


BrainState = Literal["stopped", "running", "paused"]
BRAIN_STATES: tuple[BrainState, ...] = ("stopped", "running", "paused")


@dataclass(frozen=True, slots=True)
class BrainRecord:
    """A brain's identity, genome and hosting settings. Its runtime state lives in
    `BrainSnapshot`.

    ``frequency_hz`` is the burst frequency (None: the host default); ``desired_state`` is
    what the host restores on activation; ``seed`` fixes development and excitability draws.
    The counts are the brain's size as last persisted, so quotas and listings need not load
    the brain. Records written before these fields existed read back with the defaults.
    """

    id: str
    name: str
    genome: JSONObject
    created_at: datetime
    updated_at: datetime
    frequency_hz: float | None = None
    desired_state: BrainState = "stopped"
    seed: int = 0
    cortical_area_count: int = 0
    neuron_count: int = 0
    synapse_count: int = 0
    burst_count: int = 0

    def __post_init__(self) -> None:
        check_key(self.id, "brain id")
        if not isinstance(self.name, str) or not 1 <= len(self.name) <= 200:
            raise InvalidRecord(f"brain name must be 1-200 chars; got {self.name!r}")
        if not isinstance(self.genome, Mapping):
            raise InvalidRecord("brain genome must be a JSON object")
        _check_time(self.created_at, "brain created_at")
        _check_time(self.updated_at, "brain updated_at")
        hz = self.frequency_hz
        if hz is not None and (
            not isinstance(hz, int | float) or not math.isfinite(hz) or hz <= 0
        ):
            raise InvalidRecord(f"brain frequency_hz must be a positive number; got {hz!r}")
        if self.desired_state not in BRAIN_STATES:
            raise InvalidRecord(
                f"brain desired_state must be one of {', '.join(BRAIN_STATES)}; "
                f"got {self.desired_state!r}"
            )
        if not isinstance(self.seed, int) or not 0 <= self.seed < 2**63:
            raise InvalidRecord(f"brain seed must be an integer in [0, 2**63); got {self.seed!r}")
        for what in (
            "cortical_area_count", "neuron_count", "synapse_count", "burst_count"
        ):
            value = getattr(self, what)
            if not isinstance(value, int) or value < 0:
                raise InvalidRecord(f"brain {what} must be an integer >= 0; got {value!r}")


@dataclass(frozen=True, slots=True, order=True)
class RunningBrain:
    """A brain meant to be running, as `RunningBrainIndex` lists it (ordered by workspace id,
    then brain id)."""

    workspace_id: str
    brain_id: str

    def __post_init__(self) -> None:
        check_key(self.workspace_id, "running brain workspace_id")
        check_key(self.brain_id, "running brain brain_id")


@dataclass(frozen=True, slots=True)
class BrainSnapshot:
    """The persisted runtime state of a brain (written on passivation / checkpoints)."""

    brain_id: str
    data: bytes
    burst_count: int
    saved_at: datetime

    def __post_init__(self) -> None:
        check_key(self.brain_id, "snapshot brain_id")
        if not isinstance(self.data, bytes):
            raise InvalidRecord("snapshot data must be bytes")
        if self.burst_count < 0:
            raise InvalidRecord(f"snapshot burst_count must be >= 0; got {self.burst_count}")
        _check_time(self.saved_at, "snapshot saved_at")


@dataclass(frozen=True, slots=True)
class FeagiKey:
    """A per-brain key for the FEAGI-compatible API. Only a hash of the key is stored."""

    key_hash: bytes
    workspace_id: str
    brain_id: str
    created_at: datetime
    revoked: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.key_hash, bytes) or not 16 <= len(self.key_hash) <= 64:
            raise InvalidRecord("feagi key_hash must be 16-64 bytes (a hash of the key)")
        check_key(self.workspace_id, "feagi key workspace_id")
        check_key(self.brain_id, "feagi key brain_id")
        _check_time(self.created_at, "feagi key created_at")


@dataclass(frozen=True, slots=True)
class Memory:
    """A stored memory (semantic or episodic), optionally owned by one brain."""

    id: str
    kind: str
    data: JSONObject
    created_at: datetime
    brain_id: str | None = None

    def __post_init__(self) -> None:
        check_key(self.id, "memory id")
        if not isinstance(self.kind, str) or not 1 <= len(self.kind) <= 64:
            raise InvalidRecord(f"memory kind must be 1-64 chars; got {self.kind!r}")
        if not isinstance(self.data, Mapping):
            raise InvalidRecord("memory data must be a JSON object")
        _check_time(self.created_at, "memory created_at")
        _check_optional_key(self.brain_id, "memory brain_id")


@dataclass(frozen=True, slots=True)
class ThreadMessage:
    """One message of a conversation thread. `message_id` is the RFC 5322 Message-ID."""

    message_id: str
    sender: str
    sent_at: datetime
    body: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.message_id, str) or not 1 <= len(self.message_id) <= 998:
            raise InvalidRecord(f"thread message_id must be 1-998 chars; got {self.message_id!r}")
        _check_time(self.sent_at, "thread message sent_at")


@dataclass(frozen=True, slots=True)
class Thread:
    """A conversation (mail thread) with its messages in arrival order."""

    id: str
    subject: str
    participants: tuple[str, ...]
    created_at: datetime
    messages: tuple[ThreadMessage, ...] = ()

    def __post_init__(self) -> None:
        check_key(self.id, "thread id")
        _check_time(self.created_at, "thread created_at")
        if not isinstance(self.participants, tuple) or not isinstance(self.messages, tuple):
            raise InvalidRecord("thread participants and messages must be tuples")
