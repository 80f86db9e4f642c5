"""Validation of command arguments and the shapes commands answer with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from brains.brain import BrainStats
from brains.hosting import BrainStatus
from tenancy.hosting.errors import InvalidCommand


def status_dict(status: BrainStatus) -> dict[str, Any]:
    return {
        **stats_dict(status.stats),
        "frequency_hz": status.frequency_hz,
        "achieved_hz": status.achieved_hz,
        "state": status.state,
    }


def stats_dict(stats: BrainStats) -> dict[str, Any]:
    return {
        "burst_count": stats.burst_count,
        "cortical_area_count": stats.cortical_area_count,
        "neuron_count": stats.neuron_count,
        "synapse_count": stats.synapse_count,
    }


def no_args(args: Mapping[str, Any], command: str) -> None:
    if args:
        raise InvalidCommand(
            f"command {command!r} takes no args (got {', '.join(sorted(args))})",
            fields={"args": "must be empty"},
        )


def int_arg(args: Mapping[str, Any], name: str, low: int, high: int, *, default: int) -> int:
    value = args.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidCommand(
            f"{name} must be an integer in [{low}, {high}], got {value!r}",
            fields={name: f"an integer in [{low}, {high}]"},
        )
    return value


def number_arg(args: Mapping[str, Any], name: str) -> float:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidCommand(f"{name} must be a number, got {value!r}", fields={name: "a number"})
    return float(value)


def str_arg(args: Mapping[str, Any], name: str) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not 1 <= len(value) <= 64:
        raise InvalidCommand(
            f"{name} must be a cortical area id (1-64 characters), got {value!r}",
            fields={name: "a cortical area id"},
        )
    return value


def voxels_arg(
    args: Mapping[str, Any], width: int, max_voxels: int, *, required: bool
) -> Any:
    """``args.voxels`` as validated rows of ``width`` numbers (None when optional and absent)."""
    voxels = args.get("voxels")
    if voxels is None and not required:
        return None
    if not isinstance(voxels, list):
        raise InvalidCommand("voxels must be a list of rows", fields={"voxels": "a list"})
    if len(voxels) > max_voxels:
        raise InvalidCommand(
            f"at most {max_voxels} voxels per call, got {len(voxels)}",
            fields={"voxels": f"at most {max_voxels} rows"},
        )
    for i, row in enumerate(voxels):
        if (
            not isinstance(row, list)
            or len(row) != width
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in row)
        ):
            shape = "[x, y, z, value]" if width == 4 else "[x, y, z]"
            raise InvalidCommand(
                f"voxels[{i}] must be {shape} numbers", fields={f"voxels[{i}]": shape}
            )
    return voxels
