"""The burst engine (NPU): numba kernels over struct-of-arrays state, and their orchestration."""

from brains.npu.batch import BrainBatch
from brains.npu.burst_loop import BurstLoop, BurstLoopState, BurstLoopStatistics, Steppable
from brains.npu.engine import BurstEngine, SynapseTable
from brains.npu.errors import InvalidInputError, InvalidNetworkError, InvalidSnapshotError, NpuError
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
