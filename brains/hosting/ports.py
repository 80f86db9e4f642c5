"""What a brain actor needs from storage, as a port: ``brains`` never imports ``tenancy``.

The host binds one :class:`BrainStatePort` per brain (workspace and id fixed), so the actor
cannot read or write any other brain's state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from brains.brain import BrainStats

__all__ = ["BrainStatePort", "RunState", "SavedBrain", "StoredBrain"]

RunState = Literal["stopped", "running", "paused"]


@dataclass(frozen=True, slots=True)
class StoredBrain:
    """A brain as persisted: its genome document, latest snapshot and hosting settings."""

    genome: Mapping[str, Any]
    snapshot: bytes | None
    seed: int
    frequency_hz: float | None
    desired_state: RunState


@dataclass(frozen=True, slots=True)
class SavedBrain:
    """What the actor persists. ``None`` fields are left as stored."""

    stats: BrainStats
    frequency_hz: float | None
    desired_state: RunState
    snapshot: bytes | None = None
    genome: Mapping[str, Any] | None = None
    name: str | None = None


class BrainStatePort(Protocol):
    """Persistence of one brain."""

    async def load(self) -> StoredBrain:
        """The brain's stored state; raises if the brain no longer exists."""
        ...

    async def save(self, state: SavedBrain) -> None:
        """Persist settings, counts and (when given) snapshot and genome."""
        ...
