"""Errors raised by the burst engine. Every message names what is wrong and where."""

from __future__ import annotations

__all__ = ["InvalidInputError", "InvalidNetworkError", "InvalidSnapshotError", "NpuError"]


class NpuError(Exception):
    """Base class of every error raised by ``brains.npu``."""


class InvalidNetworkError(NpuError, ValueError):
    """A :class:`~brains.npu.network.NetworkSpec` is inconsistent (field, index, reason)."""


class InvalidInputError(NpuError, ValueError):
    """Sensory input, stimulation or an API argument is out of range or malformed."""


class InvalidSnapshotError(NpuError, ValueError):
    """A snapshot does not belong to this engine or is corrupt."""
