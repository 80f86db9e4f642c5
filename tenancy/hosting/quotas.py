"""Per-workspace quotas: brains, neurons, synapses, burst frequency, websocket connections."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from tenancy.hosting.errors import QuotaExceeded

__all__ = ["QuotaPolicy", "Quotas"]


@dataclass(frozen=True, slots=True)
class Quotas:
    """The limits of one workspace."""

    max_brains: int = 100
    max_neurons: int = 2_000_000
    max_synapses: int = 20_000_000
    max_frequency_hz: float = 1000.0
    max_ws_connections: int = 100

    def __post_init__(self) -> None:
        for name in ("max_brains", "max_neurons", "max_synapses", "max_ws_connections"):
            if getattr(self, name) < 0:
                raise ValueError(f"quota {name} must be >= 0")
        if not (math.isfinite(self.max_frequency_hz) and self.max_frequency_hz > 0):
            raise ValueError("quota max_frequency_hz must be a positive number")


class QuotaPolicy:
    """Checks quotas and counts websocket connections per workspace.

    Brain counts are passed in by the caller (the workspace actor owns them, and enforces
    the neuron and synapse quotas while brains develop: ``brains.hosting.SizeBudget``);
    connections are counted here: :meth:`acquire_connection` before accepting a websocket,
    :meth:`release_connection` when it closes (or use :meth:`connection`).
    """

    def __init__(self, defaults: Quotas | None = None) -> None:
        self.defaults = defaults or Quotas()
        self._overrides: dict[str, Quotas] = {}
        self._connections: dict[str, int] = {}

    def limits(self, workspace_id: str) -> Quotas:
        return self._overrides.get(workspace_id, self.defaults)

    def set_limits(self, workspace_id: str, quotas: Quotas | None) -> None:
        """Give one workspace its own limits (None: back to the defaults)."""
        if quotas is None:
            self._overrides.pop(workspace_id, None)
        else:
            self._overrides[workspace_id] = quotas

    # --- brains ---------------------------------------------------------------------------

    def check_brain_count(self, workspace_id: str, existing: int) -> None:
        limit = self.limits(workspace_id).max_brains
        if existing + 1 > limit:
            raise QuotaExceeded(
                "max_brains", limit,
                f"this workspace already has {existing} brains; delete one first",
            )

    def check_frequency(self, workspace_id: str, hz: float) -> None:
        limit = self.limits(workspace_id).max_frequency_hz
        if hz > limit:
            raise QuotaExceeded(
                "max_frequency_hz", limit, f"a burst frequency of {hz:g} Hz is above it"
            )

    # --- websocket connections ------------------------------------------------------------

    def connections(self, workspace_id: str) -> int:
        """Open websocket connections counted for the workspace."""
        return self._connections.get(workspace_id, 0)

    def acquire_connection(self, workspace_id: str) -> None:
        """Count one more connection; `QuotaExceeded` (nothing counted) when at the limit."""
        limit = self.limits(workspace_id).max_ws_connections
        current = self._connections.get(workspace_id, 0)
        if current >= limit:
            raise QuotaExceeded(
                "max_ws_connections", limit,
                f"this workspace already has {current} open websocket connections",
            )
        self._connections[workspace_id] = current + 1

    def release_connection(self, workspace_id: str) -> None:
        """Uncount a connection acquired before (extra releases are ignored)."""
        current = self._connections.get(workspace_id, 0)
        if current <= 1:
            self._connections.pop(workspace_id, None)
        else:
            self._connections[workspace_id] = current - 1

    @contextmanager
    def connection(self, workspace_id: str) -> Iterator[None]:
        """``with quotas.connection(ws):`` acquire for the duration of the block."""
        self.acquire_connection(workspace_id)
        try:
            yield
        finally:
            self.release_connection(workspace_id)
