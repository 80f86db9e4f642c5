"""The burst engine (NPU): numba kernels over struct-of-arrays state, and their orchestration.

Names are imported from their modules on first use (PEP 562): importing numba and the
kernels costs about half a second, and most importers only need the errors, the network
spec or the snapshot type. A service therefore reports ready before numba is loaded and
loads it in the background (``brains.warmup``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from brains.npu.batch import BrainBatch
    from brains.npu.burst_loop import BurstLoop, BurstLoopState, BurstLoopStatistics, Steppable
    from brains.npu.engine import BurstEngine, SynapseTable
    from brains.npu.errors import (
        InvalidInputError,
        InvalidNetworkError,
        InvalidSnapshotError,
        NpuError,
    )
    from brains.npu.network import AreaTable, NetworkSpec, PlasticityGroupTable
    from brains.npu.runtime import MemoryUsage, MotorFrame
    from brains.npu.snapshot import EngineSnapshot

__all__ = [
    "AreaTable",
    "BrainBatch",
    "BurstEngine",
    "BurstLoop",
    "BurstLoopState",
    "BurstLoopStatistics",
    "EngineSnapshot",
    "InvalidInputError",
    "InvalidNetworkError",
    "InvalidSnapshotError",
    "MemoryUsage",
    "MotorFrame",
    "NetworkSpec",
    "NpuError",
    "PlasticityGroupTable",
    "Steppable",
    "SynapseTable",
]

_MODULE_OF = {
    "AreaTable": "network",
    "BrainBatch": "batch",
    "BurstEngine": "engine",
    "BurstLoop": "burst_loop",
    "BurstLoopState": "burst_loop",
    "BurstLoopStatistics": "burst_loop",
    "EngineSnapshot": "snapshot",
    "InvalidInputError": "errors",
    "InvalidNetworkError": "errors",
    "InvalidSnapshotError": "errors",
    "MemoryUsage": "runtime",
    "MotorFrame": "runtime",
    "NetworkSpec": "network",
    "NpuError": "errors",
    "PlasticityGroupTable": "network",
    "Steppable": "burst_loop",
    "SynapseTable": "engine",
}


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value
