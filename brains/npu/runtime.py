"""Run-time state (struct of arrays) and the calls into the kernels, shared by the engine
facades (:class:`BurstEngine` for one brain, :class:`BrainBatch` for many)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from brains.npu import kernels
from brains.npu.errors import InvalidInputError, InvalidSnapshotError
from brains.npu.layout import Layout
from brains.npu.snapshot import EngineSnapshot

__all__ = ["MemoryUsage", "MotorFrame", "Runtime", "as_values"]

_NEURON_STATE = (
    "membrane_potential",
    "countdown",
    "consecutive",
    "history",
    "neuron_flags",
    "candidates",
    "candidate_potential",
    "fired",
    "fired_mp",
)
_AREA_STATE = ("fired_by_area", "events_by_area")
_SYNAPSES = ("syn_target", "syn_weight", "syn_psp", "syn_group")
# A brain's slice of a batch: per-neuron arrays sliced by its neuron range, and the two
# neuron lists (with their paired values) filtered to its neurons, order kept.
_BRAIN_SLICED = (
    "membrane_potential",
    "countdown",
    "consecutive",
    "history",
    "neuron_flags",
    "candidate_potential",
)
_BRAIN_LISTS: tuple[tuple[str, str | None, int], ...] = (
    ("candidates", None, kernels.C_CANDIDATES),
    ("fired", "fired_mp", kernels.C_FIRED),
)
_SNAPSHOT_FIELDS = (
    *_NEURON_STATE,
    *_AREA_STATE,
    "counters",
    "indptr",
    *_SYNAPSES,
    "brain_burst_offset",
)


@dataclass(frozen=True, slots=True)
class MemoryUsage:
    """Bytes held by an engine, split by what they scale with."""

    neuron_bytes: int  # per-neuron arrays, including the CSR row pointer
    synapse_bytes: int  # per-synapse arrays (target, weight, psp, group)
    pending_synapse_bytes: int  # append buffer not yet merged
    table_bytes: int  # per-area, per-group, per-brain tables, voxel and read-out indexes
    neurons: int
    synapses: int

    @property
    def total_bytes(self) -> int:
        synapses = self.synapse_bytes + self.pending_synapse_bytes
        return self.neuron_bytes + synapses + self.table_bytes

    @property
    def bytes_per_neuron(self) -> float:
        return self.neuron_bytes / self.neurons if self.neurons else 0.0

    @property
    def bytes_per_synapse(self) -> float:
        return self.synapse_bytes / self.synapses if self.synapses else 0.0


@dataclass(frozen=True, slots=True)
class MotorFrame:
    """Activity of one motor (OPU) area in the last burst: active voxels only."""

    area_index: int
    cortical_id: str
    xyz: NDArray[np.uint16]  # (K, 3)
    activity: NDArray[np.float32]  # (K,) fraction of the voxel's neurons that fired


_NO_VALUES = np.zeros(0, np.float32)


def as_values(values: ArrayLike, count: int) -> NDArray[np.float32]:
    """``values`` as float32 of length ``count`` (a single value is broadcast), all finite."""
    array = np.asarray(values, dtype=np.float32).reshape(-1)
    if array.shape[0] == 1 and count != 1:
        array = np.full(count, array[0], np.float32)
    if array.shape[0] != count:
        raise InvalidInputError(f"{array.shape[0]} values for {count} targets")
    if not np.isfinite(array).all():
        raise InvalidInputError("values must be finite numbers")
    return array


def _as_xyz(xyz: ArrayLike, where: str) -> NDArray[np.int64]:
    array = np.asarray(xyz)
    if array.ndim == 1 and array.shape[0] == 3:
        array = array.reshape(1, 3)
    if array.ndim != 2 or array.shape[1] != 3:
        raise InvalidInputError(f"{where}: xyz must have shape (K, 3), got {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise InvalidInputError(f"{where}: xyz must be integers, got {array.dtype}")
    return array.astype(np.int64, copy=False)


class Runtime:
    """Owns the layout and every mutable array; not thread-safe (one burst at a time)."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        n = layout.neuron_count
        a = layout.area_count
        self.membrane_potential = np.zeros(n, np.float32)
        self.countdown = np.zeros(n, np.uint16)
        self.consecutive = np.zeros(n, np.uint16)
        self.history = np.zeros(n, np.uint32)
        self.neuron_flags = np.zeros(n, np.uint8)
        self.candidates = np.zeros(n, np.int32)
        self.candidate_potential = np.zeros(n, np.float32)
        self.fired = np.zeros(n, np.int32)
        self.fired_mp = np.zeros(n, np.float32)
        self.fired_by_area = np.zeros(a, np.int64)
        self.events_by_area = np.zeros(a, np.int64)
        self.counters = np.zeros(4, np.int64)
        self._pending: list[
            tuple[
                NDArray[np.int64],
                NDArray[np.uint32],
                NDArray[np.float32],
                NDArray[np.float32],
                NDArray[np.uint16],
            ]
        ] = []
        self._slot_counts = np.zeros(layout.readout_slot_size.shape[0], np.int64)
        self._slot_counts_burst = -1

    # --- bursts ---------------------------------------------------------------------------

    def run(self, n_bursts: int, record: int) -> NDArray[np.int64]:
        """Run ``n_bursts``; returns the fired totals of the first ``record`` of them."""
        if n_bursts < 0:
            raise InvalidInputError(f"burst count must be >= 0, got {n_bursts}")
        self.merge_synapses()
        lay = self.layout
        totals = np.zeros(min(record, n_bursts), np.int64)
        kernels.run_bursts(
            np.int64(n_bursts),
            self.counters,
            totals,
            self.membrane_potential,
            lay.threshold,
            self.countdown,
            self.consecutive,
            self.history,
            lay.neuron_area,
            self.neuron_flags,
            self.candidates,
            self.candidate_potential,
            self.fired,
            self.fired_mp,
            self.fired_by_area,
            self.events_by_area,
            lay.indptr,
            lay.syn_target,
            lay.syn_weight,
            lay.syn_psp,
            lay.syn_group,
            lay.power_neurons,
            lay.area_flags,
            lay.area_leak,
            lay.area_leak_variability,
            lay.area_threshold_limit,
            lay.area_refractory,
            lay.area_fire_limit,
            lay.area_snooze,
            lay.area_excitability,
            lay.area_degeneration,
            lay.area_psc_max,
            lay.area_plastic,
            lay.area_brain,
            lay.group_plastic,
            lay.group_window_mask,
            lay.group_ltp_step,
            lay.group_ltd_step,
            lay.brain_seed,
            lay.brain_neuron_offset,
            lay.brain_burst_offset,
            lay.plasticity_on,
        )
        return totals

    @property
    def burst_count(self) -> int:
        return int(self.counters[kernels.C_BURST])

    @property
    def fired_count(self) -> int:
        return int(self.counters[kernels.C_FIRED])

    @property
    def synaptic_events(self) -> int:
        return int(self.counters[kernels.C_EVENTS])

    # --- input ----------------------------------------------------------------------------

    def neurons_at(
        self, area: int, xyz: ArrayLike, where: str
    ) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
        """Neuron ids in the given voxels of ``area`` and, for each, its row in ``xyz``."""
        points = _as_xyz(xyz, where)
        return self.neurons_at_many(np.full(points.shape[0], area, np.int64), points, where)

    def neurons_at_many(
        self, areas: NDArray[np.int64], points: NDArray[np.int64], where: str
    ) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
        """Row ``k`` names voxel ``points[k]`` of global area ``areas[k]``: the neurons of every
        row, in row order, and each one's row (vectorized across areas)."""
        lay = self.layout
        dims = lay.area_dims[areas]
        outside = ((points < 0) | (points >= dims)).any(1)
        if outside.any():
            row = int(np.flatnonzero(outside)[0])
            area = int(areas[row])
            raise InvalidInputError(
                f"{where}: voxel {tuple(points[row].tolist())} (row {row}) outside area "
                f"{lay.cortical_id[area]!r} of dimensions {tuple(dims[row].tolist())}"
            )
        linear = (points[:, 0] * dims[:, 1] + points[:, 1]) * dims[:, 2] + points[:, 2]
        first = lay.area_first_neuron[areas]
        canonical = first >= 0
        npv = lay.area_npv[areas]
        starts = np.where(canonical, first + linear * npv, 0)
        counts = np.where(canonical, npv, 0)
        tabled = np.flatnonzero(~canonical)
        for area in np.unique(areas[tabled]):
            rows_here = tabled[areas[tabled] == area]
            table = lay.voxel_index.get(int(area))
            if table is None:  # no neurons (e.g. a memory area)
                continue
            starts[rows_here] = table.indptr[linear[rows_here]]
            counts[rows_here] = table.indptr[linear[rows_here] + 1] - starts[rows_here]
        rows = np.repeat(np.arange(points.shape[0]), counts)
        offsets = np.arange(rows.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
        ids = starts[rows] + offsets
        if tabled.size:
            for area in np.unique(areas[tabled]):
                table = lay.voxel_index.get(int(area))
                if table is not None:
                    mine = ~canonical[rows] & (areas[rows] == area)
                    ids[mine] = table.neurons[ids[mine]]
        return ids.astype(np.int32), rows

    def area_neurons(self, area: int) -> NDArray[np.int32]:
        lay = self.layout
        first = int(lay.area_first_neuron[area])
        if first >= 0:
            size = int(lay.area_dims[area].prod() * lay.area_npv[area])
            return np.arange(first, first + size, dtype=np.int32)
        table = lay.voxel_index.get(area)
        return table.neurons.copy() if table is not None else np.zeros(0, np.int32)

    def stage(self, neurons: NDArray[np.int32], values: NDArray[np.float32], force: bool) -> None:
        kernels.stage_input(
            neurons,
            values,
            force,
            self.candidates,
            self.candidate_potential,
            self.neuron_flags,
            self.counters,
        )

    # --- per-brain input (area and neuron indices local to ``brain``) ----------------------

    def brain_area(self, brain: int, area: int, where: str) -> int:
        lay = self.layout
        first = int(lay.brain_area_offset[brain])
        count = int(lay.brain_area_offset[brain + 1]) - first
        if not 0 <= int(area) < count:
            raise InvalidInputError(f"{where}: area index {area} out of range (0..{count - 1})")
        return first + int(area)

    def brain_neurons(self, brain: int, neurons: ArrayLike, where: str) -> NDArray[np.int32]:
        lay = self.layout
        first = int(lay.brain_neuron_offset[brain])
        count = int(lay.brain_neuron_offset[brain + 1]) - first
        ids = np.asarray(neurons).reshape(-1)
        if ids.size and not np.issubdtype(ids.dtype, np.integer):
            raise InvalidInputError(f"{where}: neuron ids must be integers, got {ids.dtype}")
        bad = np.flatnonzero((ids < 0) | (ids >= count))
        if bad.size:
            raise InvalidInputError(
                f"{where}: neuron id {ids[bad[0]]} out of range (0..{count - 1})"
            )
        return (ids.astype(np.int64) + first).astype(np.int32)

    def sensory_area(self, brain: int, area: int, where: str) -> int:
        index = self.brain_area(brain, area, where)
        if not self.layout.area_flags[index] & kernels.AREA_SENSORY:
            raise InvalidInputError(
                f"{where}: area {self.layout.cortical_id[index]!r} is not a sensory (IPU) area"
            )
        return index

    def inject_sensory(self, brain: int, area: int, xyz: ArrayLike, values: ArrayLike) -> None:
        index = self.sensory_area(brain, area, "inject_sensory")
        neurons, rows = self.neurons_at(index, xyz, "inject_sensory")
        per_voxel = as_values(values, int(np.asarray(xyz).reshape(-1, 3).shape[0]))
        self.stage(neurons, per_voxel[rows], False)

    def inject_sensory_batch(
        self, brains: ArrayLike, areas: ArrayLike, xyz: ArrayLike, values: ArrayLike
    ) -> None:
        """Row ``k``: add ``values[k]`` to voxel ``xyz[k]`` of sensory area ``areas[k]`` (local
        to brain ``brains[k]``, or one brain for every row). Staged in row order."""
        where = "inject_sensory_batch"
        lay = self.layout
        area_rows = np.asarray(areas).reshape(-1).astype(np.int64)
        k = area_rows.shape[0]
        points = _as_xyz(np.asarray(xyz).reshape(-1, 3), where)
        per_row = as_values(values, k)
        owner = np.broadcast_to(np.asarray(brains, np.int64).reshape(-1), (k,))
        if points.shape[0] != k:
            raise InvalidInputError(f"{where}: {k} areas but {points.shape[0]} voxels")
        if ((owner < 0) | (owner >= lay.brain_count)).any():
            raise InvalidInputError(f"{where}: brain index out of range (0..{lay.brain_count - 1})")
        per_brain = lay.brain_area_offset[owner + 1] - lay.brain_area_offset[owner]
        bad = np.flatnonzero((area_rows < 0) | (area_rows >= per_brain))
        if bad.size:
            row = int(bad[0])
            raise InvalidInputError(
                f"{where}: area index {area_rows[row]} (row {row}) out of range "
                f"(0..{per_brain[row] - 1})"
            )
        glob = area_rows + lay.brain_area_offset[owner]
        not_sensory = np.flatnonzero((lay.area_flags[glob] & kernels.AREA_SENSORY) == 0)
        if not_sensory.size:
            row = int(not_sensory[0])
            raise InvalidInputError(
                f"{where}: area {lay.cortical_id[glob[row]]!r} (row {row}) is not a sensory "
                "(IPU) area"
            )
        neurons, rows = self.neurons_at_many(glob, points, where)
        self.stage(neurons, per_row[rows], False)

    def stimulate(self, brain: int, area: int, xyz: ArrayLike) -> None:
        index = self.brain_area(brain, area, "stimulate")
        neurons, _ = self.neurons_at(index, xyz, "stimulate")
        self.stage(neurons, _NO_VALUES, True)

    def stimulate_area(self, brain: int, area: int) -> None:
        index = self.brain_area(brain, area, "stimulate_area")
        self.stage(self.area_neurons(index), _NO_VALUES, True)

    def stimulate_neurons(self, brain: int, neurons: ArrayLike) -> None:
        self.stage(self.brain_neurons(brain, neurons, "stimulate_neurons"), _NO_VALUES, True)

    def inject_potential(self, brain: int, neurons: ArrayLike, values: ArrayLike) -> None:
        ids = self.brain_neurons(brain, neurons, "inject_potential")
        self.stage(ids, as_values(values, ids.shape[0]), False)

    def fired_neurons(self, brain: int) -> NDArray[np.int32]:
        lay = self.layout
        fired = self.fired[: self.fired_count]
        if lay.brain_count == 1:
            return fired.copy()
        first = int(lay.brain_neuron_offset[brain])
        mine = fired[(fired >= first) & (fired < lay.brain_neuron_offset[brain + 1])]
        local: NDArray[np.int32] = (mine - first).astype(np.int32)
        return local

    def motor_activity(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.uint16], NDArray[np.float32]]:
        """Every active motor voxel of the last burst: (brain, local area, xyz, activity)."""
        lay = self.layout
        counts = self.slot_counts()
        active = np.flatnonzero(counts)
        slot_area = np.searchsorted(lay.readout_area_slot_sorted, active, side="right") - 1
        area = lay.readout_area_order[slot_area]
        brain = lay.area_brain[area].astype(np.int64)
        activity = (counts[active] / lay.readout_slot_size[active]).astype(np.float32)
        return brain, area - lay.brain_area_offset[brain], lay.readout_slot_xyz[active], activity

    def brain_motor_output(self, brain: int) -> dict[int, MotorFrame]:
        lay = self.layout
        first = int(lay.brain_area_offset[brain])
        return self.motor_frames(first, int(lay.brain_area_offset[brain + 1]), first)

    # --- read-out -------------------------------------------------------------------------

    def slot_counts(self) -> NDArray[np.int64]:
        if self._slot_counts_burst != self.burst_count:
            lay = self.layout
            kernels.count_fired_per_slot(
                self.fired,
                np.int64(self.fired_count),
                lay.neuron_area,
                lay.readout_area_slot,
                lay.readout_neurons,
                lay.readout_slots,
                self._slot_counts,
            )
            self._slot_counts_burst = self.burst_count
        return self._slot_counts

    def motor_frames(self, first_area: int, end_area: int, area_base: int) -> dict[int, MotorFrame]:
        """Motor frames of areas ``first_area..end_area-1``, keyed by ``index - area_base``."""
        lay = self.layout
        counts = self.slot_counts()
        frames: dict[int, MotorFrame] = {}
        for area in range(first_area, end_area):
            base = int(lay.readout_area_slot[area])
            if base < 0:
                continue
            end = base + int(lay.area_dims[area].prod())
            active = np.flatnonzero(counts[base:end]) + base
            frames[area - area_base] = MotorFrame(
                area_index=area - area_base,
                cortical_id=lay.cortical_id[area],
                xyz=lay.readout_slot_xyz[active],
                activity=(counts[active] / lay.readout_slot_size[active]).astype(np.float32),
            )
        return frames

    # --- synapse growth -------------------------------------------------------------------

    def add_synapses(
        self,
        brain: int,
        source: ArrayLike,
        target: ArrayLike,
        weight: ArrayLike,
        psp: ArrayLike,
        group: ArrayLike,
    ) -> int:
        """Append synapses (ids and groups local to ``brain``); merged before the next burst."""
        lay = self.layout
        src = self.brain_neurons(brain, source, "add_synapses source").astype(np.int64)
        dst = self.brain_neurons(brain, target, "add_synapses target").astype(np.uint32)
        k = src.shape[0]
        if dst.shape[0] != k:
            raise InvalidInputError(f"add_synapses: {k} sources but {dst.shape[0]} targets")
        w = as_values(weight, k)
        p = as_values(psp, k)
        g = np.broadcast_to(np.asarray(group), (k,)).astype(np.int64)
        groups = int(lay.brain_group_offset[brain + 1] - lay.brain_group_offset[brain])
        if (p < 0).any():
            raise InvalidInputError("add_synapses: psp must be >= 0 (the sign belongs in weight)")
        if ((g < 0) | (g >= groups)).any():
            raise InvalidInputError(f"add_synapses: group out of range (0..{groups - 1})")
        total = lay.syn_target.shape[0] + self.pending_synapses + k
        if total > 2**31 - 1:
            raise InvalidInputError(f"add_synapses: {total} synapses exceed 2**31 - 1")
        if k:
            g += lay.brain_group_offset[brain]
            self._pending.append((src, dst, w, p, g.astype(np.uint16)))
        return int(k)

    @property
    def pending_synapses(self) -> int:
        return sum(int(part[0].shape[0]) for part in self._pending)

    def merge_synapses(self) -> None:
        """Fold the append buffer into the CSR (each source's new synapses go last)."""
        if not self._pending:
            return
        lay = self.layout
        n = lay.neuron_count
        old_src = np.repeat(np.arange(n, dtype=np.int64), np.diff(lay.indptr))
        source = np.concatenate([old_src, *(p[0] for p in self._pending)])
        order = np.argsort(source, kind="stable")
        lay.indptr[1:] = np.cumsum(np.bincount(source, minlength=n))
        lay.syn_target = np.concatenate([lay.syn_target, *(p[1] for p in self._pending)])[order]
        lay.syn_weight = np.concatenate([lay.syn_weight, *(p[2] for p in self._pending)])[order]
        lay.syn_psp = np.concatenate([lay.syn_psp, *(p[3] for p in self._pending)])[order]
        lay.syn_group = np.concatenate([lay.syn_group, *(p[4] for p in self._pending)])[order]
        self._pending.clear()

    # --- state ----------------------------------------------------------------------------

    def snapshot(self) -> EngineSnapshot:
        self.merge_synapses()
        arrays: dict[str, NDArray[np.generic]] = {}
        for name in _SNAPSHOT_FIELDS:
            owner = self.layout if hasattr(self.layout, name) else self
            arrays[name] = np.array(getattr(owner, name), copy=True)
        return EngineSnapshot(arrays=arrays)

    def _check_state(
        self,
        arrays: Mapping[str, NDArray[np.generic]],
        neurons: int,
        areas: int,
        groups: int,
        brains: int,
    ) -> None:
        """Refuse a state that does not fit a network of this shape, before touching anything."""
        missing = [name for name in _SNAPSHOT_FIELDS if name not in arrays]
        if missing:
            raise InvalidSnapshotError(f"snapshot lacks {', '.join(missing)}")
        lay = self.layout
        shapes = {name: (neurons,) for name in _NEURON_STATE}
        shapes.update({name: (areas,) for name in _AREA_STATE})
        shapes["counters"] = (4,)
        shapes["indptr"] = (neurons + 1,)
        shapes["brain_burst_offset"] = (brains,)
        for name, shape in shapes.items():
            owner = lay if hasattr(lay, name) else self
            dtype = getattr(owner, name).dtype
            given = arrays[name]
            if given.shape != shape or given.dtype != dtype:
                raise InvalidSnapshotError(
                    f"snapshot {name}: {given.dtype}{given.shape}, this network needs "
                    f"{dtype}{shape}; was it taken from another network?"
                )
        indptr = arrays["indptr"]
        s = int(indptr[-1])
        for name in _SYNAPSES:
            given = arrays[name]
            if given.shape != (s,) or given.dtype != getattr(lay, name).dtype:
                raise InvalidSnapshotError(
                    f"snapshot {name}: {given.dtype}{given.shape}, "
                    f"expected {getattr(lay, name).dtype}({s},)"
                )
        if (np.diff(indptr) < 0).any() or int(indptr[0]) != 0:
            raise InvalidSnapshotError("snapshot indptr is not a CSR row pointer")
        if s and (
            int(arrays["syn_target"].max()) >= neurons or int(arrays["syn_group"].max()) >= groups
        ):
            raise InvalidSnapshotError("snapshot synapses point outside this network")
        counters = arrays["counters"]
        if not (0 <= counters[kernels.C_FIRED] <= neurons) or not (
            0 <= counters[kernels.C_CANDIDATES] <= neurons
        ):
            raise InvalidSnapshotError("snapshot counters are inconsistent with the network")
        for name in ("fired", "candidates"):
            ids = np.asarray(arrays[name], np.int64)
            if (ids < 0).any() or (ids >= max(neurons, 1)).any():
                raise InvalidSnapshotError(f"snapshot {name} holds ids outside this network")

    def restore(self, snapshot: EngineSnapshot) -> None:
        lay = self.layout
        arrays = snapshot.arrays
        self._check_state(
            arrays, lay.neuron_count, lay.area_count, lay.group_plastic.shape[0], lay.brain_count
        )
        self._pending.clear()
        for name in _SNAPSHOT_FIELDS:
            owner = lay if hasattr(lay, name) else self
            if name in _SYNAPSES:
                setattr(owner, name, np.array(arrays[name], copy=True))
            else:
                getattr(owner, name)[...] = arrays[name]
        self._slot_counts_burst = -1

    # --- one brain of a batch: the same state format as a single-brain engine ----------------

    def _bounds(self, brain: int) -> tuple[int, int, int, int, int, int]:
        lay = self.layout
        return (
            int(lay.brain_neuron_offset[brain]),
            int(lay.brain_neuron_offset[brain + 1]),
            int(lay.brain_area_offset[brain]),
            int(lay.brain_area_offset[brain + 1]),
            int(lay.brain_group_offset[brain]),
            int(lay.brain_group_offset[brain + 1]),
        )

    def brain_snapshot(self, brain: int) -> EngineSnapshot:
        """Brain ``brain``'s state, restorable into a ``BurstEngine`` of its spec (or back)."""
        self.merge_synapses()
        lay = self.layout
        lo, hi, alo, ahi, glo, _ = self._bounds(brain)
        n = hi - lo
        arrays: dict[str, NDArray[np.generic]] = {}
        for name in _BRAIN_SLICED:
            arrays[name] = getattr(self, name)[lo:hi].copy()
        counts = np.zeros(4, np.int64)
        for name, values, slot in _BRAIN_LISTS:
            ids = getattr(self, name)[: self.counters[slot]]
            mine = (ids >= lo) & (ids < hi)
            counts[slot] = int(mine.sum())
            local = np.zeros(n, np.int32)
            local[: counts[slot]] = ids[mine] - lo
            arrays[name] = local
            if values is not None:
                paired = np.zeros(n, np.float32)
                paired[: counts[slot]] = getattr(self, values)[: self.counters[slot]][mine]
                arrays[values] = paired
        arrays["fired_by_area"] = self.fired_by_area[alo:ahi].copy()
        arrays["events_by_area"] = self.events_by_area[alo:ahi].copy()
        counts[kernels.C_BURST] = self.burst_count - int(lay.brain_burst_offset[brain])
        counts[kernels.C_EVENTS] = int(arrays["events_by_area"].sum())
        arrays["counters"] = counts
        s_lo, s_hi = int(lay.indptr[lo]), int(lay.indptr[hi])
        arrays["indptr"] = (lay.indptr[lo : hi + 1] - s_lo).astype(np.int32)
        arrays["syn_target"] = (lay.syn_target[s_lo:s_hi] - np.uint32(lo)).astype(np.uint32)
        arrays["syn_weight"] = lay.syn_weight[s_lo:s_hi].copy()
        arrays["syn_psp"] = lay.syn_psp[s_lo:s_hi].copy()
        arrays["syn_group"] = (lay.syn_group[s_lo:s_hi] - np.uint16(glo)).astype(np.uint16)
        arrays["brain_burst_offset"] = np.zeros(1, np.int64)
        return EngineSnapshot(arrays=arrays)

    def restore_brain(self, brain: int, snapshot: EngineSnapshot) -> None:
        """Put a brain's state (from :meth:`brain_snapshot` or a ``BurstEngine``) in place."""
        self.merge_synapses()
        lay = self.layout
        lo, hi, alo, ahi, glo, ghi = self._bounds(brain)
        arrays = snapshot.arrays
        self._check_state(arrays, hi - lo, ahi - alo, ghi - glo, 1)
        s_lo, s_hi = int(lay.indptr[lo]), int(lay.indptr[hi])
        total = lay.syn_target.shape[0] - (s_hi - s_lo) + int(arrays["indptr"][-1])
        if total > 2**31 - 1:
            raise InvalidSnapshotError(f"restoring this brain makes {total} synapses, > 2**31 - 1")
        for name in _BRAIN_SLICED:
            getattr(self, name)[lo:hi] = arrays[name]
        given = arrays["counters"]
        for name, values, count in _BRAIN_LISTS:
            ids = getattr(self, name)[: self.counters[count]]
            others = (ids < lo) | (ids >= hi)
            theirs = arrays[name][: int(given[count])].astype(np.int64) + lo
            merged = np.concatenate([ids[others], theirs]).astype(np.int32)
            getattr(self, name)[: merged.shape[0]] = merged
            if values is not None:
                kept = getattr(self, values)[: self.counters[count]][others]
                getattr(self, values)[: merged.shape[0]] = np.concatenate(
                    [kept, arrays[values][: int(given[count])]]
                )
            self.counters[count] = merged.shape[0]
        self.counters[kernels.C_EVENTS] += int(arrays["events_by_area"].sum()) - int(
            self.events_by_area[alo:ahi].sum()
        )
        self.fired_by_area[alo:ahi] = arrays["fired_by_area"]
        self.events_by_area[alo:ahi] = arrays["events_by_area"]
        lay.brain_burst_offset[brain] = self.burst_count - int(given[kernels.C_BURST])
        local = arrays["indptr"].astype(np.int64)
        delta = int(local[-1]) - (s_hi - s_lo)
        lay.indptr[lo : hi + 1] = local + s_lo
        lay.indptr[hi + 1 :] += delta
        for name, shift in (
            ("syn_target", lo),
            ("syn_weight", 0),
            ("syn_psp", 0),
            ("syn_group", glo),
        ):
            old = getattr(lay, name)
            part = arrays[name]
            if shift:
                part = (part.astype(np.int64) + shift).astype(old.dtype)
            setattr(lay, name, np.concatenate([old[:s_lo], part, old[s_hi:]]))
        self._slot_counts_burst = -1

    def memory(self) -> MemoryUsage:
        lay = self.layout
        neuron = sum(getattr(self, name).nbytes for name in _NEURON_STATE)
        neuron += lay.neuron_area.nbytes + lay.threshold.nbytes + lay.indptr.nbytes
        synapse = sum(getattr(lay, name).nbytes for name in _SYNAPSES)
        pending = sum(sum(a.nbytes for a in part) for part in self._pending)
        skip = {"neuron_area", "threshold", "indptr", *_SYNAPSES}
        table = 0
        for name in lay.__slots__:
            value = getattr(lay, name)
            if name in skip:
                continue
            if isinstance(value, np.ndarray):
                table += value.nbytes
        table += sum(t.indptr.nbytes + t.neurons.nbytes for t in lay.voxel_index.values())
        table += self.fired_by_area.nbytes + self.events_by_area.nbytes + self.counters.nbytes
        table += self._slot_counts.nbytes
        return MemoryUsage(
            neuron_bytes=int(neuron),
            synapse_bytes=int(synapse),
            pending_synapse_bytes=int(pending),
            table_bytes=int(table),
            neurons=lay.neuron_count,
            synapses=int(lay.syn_target.shape[0]),
        )
