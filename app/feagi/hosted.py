"""The FEAGI API over the brain host: keys from the store, calls through the brain's actor.

:class:`HostedBrainAccess` is the :class:`~app.feagi.access.FeagiBrainAccess` of a hosted
brain: reads and edits go through ``BrainHost.call`` (between bursts, persisted and
announced when they mutate), burst control and genome uploads through
``BrainHost.command`` so the workspace's quotas apply. :class:`HostKeyResolver` turns a
key into one through ``BrainHost.feagi_key`` (only hashes are stored; live keys are
remembered for a second, like tokens).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from app.feagi.access import FeagiBrainAccess, RunState
from app.feagi.errors import FeagiError
from app.feagi.keys import hash_key
from brains.brain import Brain
from tenancy.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    RateLimitedError,
    TenancyError,
)
from tenancy.hosting import BrainHost, InvalidGenome

__all__ = ["HostKeyResolver", "HostedBrainAccess", "feagi_error_of"]

T = TypeVar("T")

_STATUS: tuple[tuple[type[TenancyError], int], ...] = (
    (NotFoundError, 404),
    (ForbiddenError, 403),
    (RateLimitedError, 429),
    (ConflictError, 409),
    (InvalidInputError, 400),
)


def feagi_error_of(exc: TenancyError) -> FeagiError:
    """A host or tenancy error as the FEAGI API answers it."""
    if isinstance(exc, InvalidGenome):
        errors = [{"path": e.path, "kind": str(e.kind), "message": e.message}
                  for e in exc.errors]
        return FeagiError(422, f"invalid genome: {exc.message}", {"errors": errors})
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 400)
    return FeagiError(status, exc.message)


class HostedBrainAccess:
    """One hosted brain, as the FEAGI API reaches it."""

    def __init__(self, host: BrainHost, workspace_id: str, brain_id: str) -> None:
        self._host = host
        self._workspace_id = workspace_id
        self._brain_id = brain_id

    @property
    def workspace_id(self) -> str:
        return self._workspace_id

    @property
    def brain_id(self) -> str:
        return self._brain_id

    async def call(self, fn: Callable[[Brain], T], *, mutates: bool = False) -> T:
        try:
            return await self._host.call(self._workspace_id, self._brain_id, fn, mutates=mutates)
        except TenancyError as exc:
            raise feagi_error_of(exc) from None

    async def _command(self, command: str, args: dict[str, Any]) -> dict[str, Any]:
        try:
            return await self._host.command(self._workspace_id, self._brain_id, command, args)
        except TenancyError as exc:
            raise feagi_error_of(exc) from None

    async def run_state(self) -> RunState:
        # The brain actor's status alone (no store read): FEAGI clients poll this.
        stats = await self._command("stats", {})
        return RunState(running=stats["state"] != "stopped", paused=stats["state"] == "paused",
                        frequency_hz=float(stats["frequency_hz"]),
                        burst_count=int(stats["burst_count"]))

    async def start(self) -> None:
        if (await self.run_state()).running:
            raise FeagiError(400, "Invalid state: the burst engine is already running")
        await self._command("start", {})

    async def stop(self) -> None:
        if (await self.run_state()).running:
            await self._command("stop", {})

    async def set_frequency(self, hz: float) -> None:
        await self._command("set_frequency", {"hz": hz})

    async def upload_genome(self, document: dict[str, Any]) -> None:
        await self._command("put_genome", {"genome": document})


class HostKeyResolver:
    """FEAGI keys of the host's store, opening brains of the host."""

    def __init__(self, host: BrainHost) -> None:
        self._host = host

    async def resolve(self, key: str) -> FeagiBrainAccess | None:
        found = await self._host.feagi_key(hash_key(key))
        return None if found is None else HostedBrainAccess(self._host, *found)
