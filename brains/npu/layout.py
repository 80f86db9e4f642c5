"""Convert one or many :class:`NetworkSpec` into the engine's run-time layout, once.

Validation happens here, before anything is allocated for the run, so kernels can run without
bounds checks. Many specs pack into one layout (disjoint union with per-brain offsets): that is
how :class:`~brains.npu.batch.BrainBatch` bursts thousands of small brains in one kernel call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from brains.npu.errors import InvalidNetworkError
from brains.npu.kernels import (
    AREA_ACCUMULATE,
    AREA_MOTOR,
    AREA_MP_DRIVEN,
    AREA_POWER,
    AREA_SENSORY,
    AREA_UNIFORM,
)
from brains.npu.network import NetworkSpec

__all__ = ["MAX_PLASTICITY_WINDOW", "Layout", "VoxelIndex", "build_layout"]

MAX_PLASTICITY_WINDOW = 31  # fire history is a uint32 bitmask, bit 0 = the current burst
_MAX_INDEX = 2**31 - 1  # neuron ids, synapse offsets and candidates are int32


@dataclass(frozen=True, slots=True)
class VoxelIndex:
    """Voxel -> neurons for one area whose neurons are not laid out voxel by voxel."""

    indptr: NDArray[np.int64]  # (voxels + 1,)
    neurons: NDArray[np.int32]  # neuron ids grouped by voxel


@dataclass(slots=True)
class Layout:
    """Immutable tables plus the synapse CSR (mutable through plasticity and growth)."""

    cortical_id: tuple[str, ...]
    neuron_area: NDArray[np.uint32]
    threshold: NDArray[np.float32]
    indptr: NDArray[np.int32]
    syn_target: NDArray[np.uint32]
    syn_weight: NDArray[np.float32]
    syn_psp: NDArray[np.float32]
    syn_group: NDArray[np.uint16]
    power_neurons: NDArray[np.int32]
    area_flags: NDArray[np.uint8]
    area_leak: NDArray[np.float32]
    area_leak_variability: NDArray[np.float32]
    area_threshold_limit: NDArray[np.float32]
    area_refractory: NDArray[np.uint16]
    area_fire_limit: NDArray[np.uint16]
    area_snooze: NDArray[np.uint16]
    area_excitability: NDArray[np.float32]
    area_degeneration: NDArray[np.float32]
    area_psc_max: NDArray[np.float32]
    area_plastic: NDArray[np.bool_]
    area_brain: NDArray[np.int32]
    area_dims: NDArray[np.int64]
    area_npv: NDArray[np.int64]
    area_first_neuron: NDArray[np.int64]  # -1 when the area is not laid out voxel by voxel
    voxel_index: dict[int, VoxelIndex]  # areas with area_first_neuron == -1 and neurons
    group_plastic: NDArray[np.bool_]
    group_window_mask: NDArray[np.uint32]
    group_ltp_step: NDArray[np.float32]
    group_ltd_step: NDArray[np.float32]
    brain_seed: NDArray[np.uint64]
    brain_neuron_offset: NDArray[np.int64]  # (B + 1,)
    brain_area_offset: NDArray[np.int64]  # (B + 1,)
    brain_group_offset: NDArray[np.int64]  # (B + 1,)
    brain_burst_offset: NDArray[np.int64]  # (B,)
    readout_area_slot: NDArray[np.int32]  # (A,) first voxel slot of a motor area, else -1
    readout_neurons: NDArray[np.int32]  # sorted motor neuron ids
    readout_slots: NDArray[np.int32]  # voxel slot of each of readout_neurons
    readout_slot_xyz: NDArray[np.uint16]  # (slots, 3)
    readout_slot_size: NDArray[np.float32]  # neurons in each slot's voxel
    readout_area_order: NDArray[np.int64]  # motor areas, by first slot
    readout_area_slot_sorted: NDArray[np.int64]  # their first slots (ascending)

    @property
    def neuron_count(self) -> int:
        return int(self.neuron_area.shape[0])

    @property
    def area_count(self) -> int:
        return int(self.area_flags.shape[0])

    @property
    def brain_count(self) -> int:
        return int(self.brain_seed.shape[0])

    @property
    def plasticity_on(self) -> bool:
        return bool(self.area_plastic.any())


def _fail(where: str, problem: str) -> InvalidNetworkError:
    return InvalidNetworkError(f"{where}: {problem}")


def _check_len(where: str, array: NDArray[np.generic], length: int, width: int = 0) -> None:
    shape = (length, width) if width else (length,)
    if array.shape != shape:
        raise _fail(where, f"shape {array.shape}, expected {shape}")


def _check_finite(where: str, array: NDArray[np.generic]) -> None:
    if array.size and not np.isfinite(array).all():
        bad = int(np.flatnonzero(~np.isfinite(array.reshape(array.shape[0], -1)).any(1))[0])
        raise _fail(f"{where}[{bad}]", "not a finite number")


def _check_range(
    where: str, array: NDArray[Any], low: float, high: float, names: Sequence[str]
) -> None:
    bad = np.flatnonzero((array < low) | (array > high))
    if bad.size:
        i = int(bad[0])
        label = f" (area {names[i]!r})" if i < len(names) else ""
        raise _fail(f"{where}[{i}]{label}", f"{array[i]} outside [{low}, {high}]")


def _validate(spec: NetworkSpec, brain: int) -> None:
    prefix = f"brain {brain}: " if brain else ""
    ar = spec.areas
    a = len(ar.cortical_id)
    per_area = {
        "neurons_per_voxel": ar.neurons_per_voxel,
        "firing_threshold": ar.firing_threshold,
        "threshold_limit": ar.threshold_limit,
        "leak_coefficient": ar.leak_coefficient,
        "leak_variability": ar.leak_variability,
        "refractory_period": ar.refractory_period,
        "consecutive_fire_limit": ar.consecutive_fire_limit,
        "snooze_length": ar.snooze_length,
        "mp_charge_accumulation": ar.mp_charge_accumulation,
        "mp_driven_psp": ar.mp_driven_psp,
        "psp_uniform_distribution": ar.psp_uniform_distribution,
        "excitability": ar.excitability,
        "degeneration": ar.degeneration,
        "postsynaptic_current_max": ar.postsynaptic_current_max,
        "is_power": ar.is_power,
        "is_sensory": ar.is_sensory,
        "is_motor": ar.is_motor,
        "is_memory": ar.is_memory,
    }
    for name, array in per_area.items():
        _check_len(f"{prefix}areas.{name}", np.asarray(array), a)
        _check_finite(f"{prefix}areas.{name}", np.asarray(array))
    _check_len(f"{prefix}areas.dimensions", ar.dimensions, a, 3)
    _check_len(f"{prefix}areas.threshold_increment", ar.threshold_increment, a, 3)
    _check_finite(f"{prefix}areas.threshold_increment", ar.threshold_increment)
    ids = ar.cortical_id
    if a:
        _check_range(f"{prefix}areas.dimensions", ar.dimensions.min(1), 1, 2**16, ids)
    _check_range(f"{prefix}areas.neurons_per_voxel", ar.neurons_per_voxel, 1, 2**16, ids)
    _check_range(f"{prefix}areas.leak_coefficient", ar.leak_coefficient, 0.0, 1.0, ids)
    _check_range(f"{prefix}areas.excitability", ar.excitability, 0.0, 1.0, ids)
    _check_range(f"{prefix}areas.degeneration", ar.degeneration, 0.0, np.inf, ids)
    _check_range(f"{prefix}areas.leak_variability", ar.leak_variability, -np.inf, 1e6, ids)

    n = spec.neuron_count
    if n > _MAX_INDEX:
        raise _fail(f"{prefix}neuron_area", f"{n} neurons, at most {_MAX_INDEX}")
    _check_len(f"{prefix}neuron_xyz", spec.neuron_xyz, n, 3)
    if n:
        bad = np.flatnonzero(spec.neuron_area >= a)
        if bad.size:
            raise _fail(
                f"{prefix}neuron_area[{int(bad[0])}]",
                f"area {spec.neuron_area[bad[0]]} does not exist ({a} areas)",
            )
        outside = (spec.neuron_xyz >= ar.dimensions[spec.neuron_area]).any(1)
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise _fail(
                f"{prefix}neuron_xyz[{i}]",
                f"voxel {tuple(spec.neuron_xyz[i])} outside "
                f"area {ids[spec.neuron_area[i]]!r} of dimensions "
                f"{tuple(ar.dimensions[spec.neuron_area[i]])}",
            )

    s = spec.synapse_count
    if s > _MAX_INDEX:
        raise _fail(f"{prefix}synapse_source", f"{s} synapses, at most {_MAX_INDEX}")
    g = int(spec.groups.source_area.shape[0])
    for name in ("synapse_target", "synapse_weight", "synapse_psp", "synapse_group"):
        _check_len(f"{prefix}{name}", getattr(spec, name), s)
    _check_finite(f"{prefix}synapse_weight", spec.synapse_weight)
    _check_finite(f"{prefix}synapse_psp", spec.synapse_psp)
    for name, limit in (("synapse_source", n), ("synapse_target", n), ("synapse_group", g)):
        array = getattr(spec, name)
        bad = np.flatnonzero(array >= limit)
        if bad.size:
            i = int(bad[0])
            raise _fail(f"{prefix}{name}[{i}]", f"index {array[i]} out of range (< {limit})")
    bad = np.flatnonzero(spec.synapse_psp < 0)
    if bad.size:
        raise _fail(f"{prefix}synapse_psp[{int(bad[0])}]", "negative; the sign belongs in weight")

    gr = spec.groups
    for name in (
        "destination_area",
        "plastic",
        "plasticity_constant",
        "ltp_multiplier",
        "ltd_multiplier",
        "plasticity_window",
    ):
        _check_len(f"{prefix}groups.{name}", getattr(gr, name), g)
    for name in ("plasticity_constant", "ltp_multiplier", "ltd_multiplier"):
        _check_finite(f"{prefix}groups.{name}", getattr(gr, name))
    window = gr.plasticity_window[gr.plastic] if g else gr.plasticity_window
    bad = np.flatnonzero((window < 1) | (window > MAX_PLASTICITY_WINDOW))
    if bad.size:
        raise _fail(
            f"{prefix}groups.plasticity_window",
            f"{window[bad[0]]} outside [1, {MAX_PLASTICITY_WINDOW}] for a plastic group",
        )
    for name in ("source_area", "destination_area"):
        bad = np.flatnonzero(getattr(gr, name) >= a)
        if bad.size:
            raise _fail(f"{prefix}groups.{name}[{int(bad[0])}]", "area does not exist")


def _area_flags(spec: NetworkSpec) -> NDArray[np.uint8]:
    ar = spec.areas
    flags = np.zeros(len(ar.cortical_id), np.uint8)
    for mask, column in (
        (AREA_ACCUMULATE, ar.mp_charge_accumulation),
        (AREA_MP_DRIVEN, ar.mp_driven_psp),
        (AREA_UNIFORM, ar.psp_uniform_distribution),
        (AREA_POWER, ar.is_power),
        (AREA_SENSORY, ar.is_sensory),
        (AREA_MOTOR, ar.is_motor),
    ):
        flags[np.asarray(column, bool)] |= mask
    return flags


def _voxel_linear(xyz: NDArray[np.int64], dims: NDArray[np.int64]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = (xyz[:, 0] * dims[:, 1] + xyz[:, 1]) * dims[:, 2] + xyz[:, 2]
    return out


def _addressing(
    neuron_area: NDArray[np.uint32],
    xyz: NDArray[np.int64],
    dims: NDArray[np.int64],
    npv: NDArray[np.int64],
) -> tuple[NDArray[np.int64], dict[int, VoxelIndex], NDArray[np.int64]]:
    """Per area: first neuron id when ids run voxel by voxel (x, then y, then z), else a table.

    Returns (area_first_neuron, voxel tables, voxel linear index of every neuron).
    """
    a = dims.shape[0]
    n = neuron_area.shape[0]
    linear = _voxel_linear(xyz, dims[neuron_area]) if n else np.zeros(0, np.int64)
    first = np.full(a, -1, np.int64)
    tables: dict[int, VoxelIndex] = {}
    order = np.argsort(neuron_area, kind="stable")
    bounds = np.searchsorted(neuron_area[order], np.arange(a + 1))
    for area in range(a):
        ids = order[bounds[area] : bounds[area + 1]]
        if ids.size == 0:
            continue
        size = int(dims[area].prod())
        canonical = (
            ids.size == size * int(npv[area])
            and int(ids[-1]) - int(ids[0]) == ids.size - 1
            and bool((linear[ids] == np.arange(ids.size) // npv[area]).all())
        )
        if canonical:
            first[area] = int(ids[0])
            continue
        by_voxel = ids[np.argsort(linear[ids], kind="stable")]
        counts = np.bincount(linear[by_voxel], minlength=size)
        indptr = np.zeros(size + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        tables[area] = VoxelIndex(indptr=indptr, neurons=by_voxel.astype(np.int32))
    return first, tables, linear


def _window_masks(window: NDArray[np.int64]) -> NDArray[np.uint32]:
    bits = np.clip(window, 0, 32).astype(np.uint64)
    return ((np.uint64(1) << bits) - np.uint64(1)).astype(np.uint32)


def build_layout(specs: Sequence[NetworkSpec], seeds: Sequence[int]) -> Layout:
    """Validate and pack ``specs`` (one per brain) into one run-time layout."""
    if not specs:
        raise InvalidNetworkError("no networks given")
    if len(seeds) != len(specs):
        raise InvalidNetworkError(f"{len(seeds)} seeds for {len(specs)} networks")
    for b, spec in enumerate(specs):
        _validate(spec, b)
    neurons = np.array([0] + [sp.neuron_count for sp in specs], np.int64).cumsum()
    areas = np.array([0] + [len(sp.areas.cortical_id) for sp in specs], np.int64).cumsum()
    groups = np.array([0] + [sp.groups.source_area.shape[0] for sp in specs], np.int64).cumsum()
    total_n = int(neurons[-1])
    if total_n > _MAX_INDEX:
        raise InvalidNetworkError(f"{total_n} neurons in one layout, at most {_MAX_INDEX}")

    def cat(get: Callable[[NetworkSpec], ArrayLike], dtype: DTypeLike) -> NDArray[Any]:
        parts = [np.asarray(get(sp)) for sp in specs]
        return np.concatenate(parts).astype(dtype, copy=False)

    neuron_area = np.concatenate(
        [sp.neuron_area.astype(np.int64) + areas[b] for b, sp in enumerate(specs)]
    ).astype(np.uint32)
    xyz = cat(lambda sp: sp.neuron_xyz.reshape(-1, 3), np.int64).reshape(-1, 3)
    dims = cat(lambda sp: sp.areas.dimensions.reshape(-1, 3), np.int64).reshape(-1, 3)
    npv = cat(lambda sp: sp.areas.neurons_per_voxel, np.int64)
    base = cat(lambda sp: sp.areas.firing_threshold, np.float32)
    increment = cat(lambda sp: sp.areas.threshold_increment.reshape(-1, 3), np.float32)
    increment = increment.reshape(-1, 3)
    per = neuron_area.astype(np.int64)
    f32 = xyz.astype(np.float32)
    threshold = (
        base[per]
        + increment[per, 0] * f32[:, 0]
        + increment[per, 1] * f32[:, 1]
        + increment[per, 2] * f32[:, 2]
    ).astype(np.float32)

    source = np.concatenate(
        [sp.synapse_source.astype(np.int64) + neurons[b] for b, sp in enumerate(specs)]
    )
    if source.shape[0] > _MAX_INDEX:
        raise InvalidNetworkError(f"{source.shape[0]} synapses in one layout, at most {_MAX_INDEX}")
    order = np.argsort(source, kind="stable")
    indptr = np.zeros(total_n + 1, np.int32)
    np.cumsum(np.bincount(source, minlength=total_n), out=indptr[1:])
    target = np.concatenate(
        [sp.synapse_target.astype(np.int64) + neurons[b] for b, sp in enumerate(specs)]
    )[order].astype(np.uint32)
    group = np.concatenate(
        [sp.synapse_group.astype(np.int64) + groups[b] for b, sp in enumerate(specs)]
    )[order]
    if int(groups[-1]) > np.iinfo(np.uint16).max + 1:
        raise InvalidNetworkError(
            f"{int(groups[-1])} synapse groups in one layout, at most 65536 (uint16 ids)"
        )

    flags = np.concatenate([_area_flags(sp) for sp in specs])
    area_brain = np.repeat(np.arange(len(specs), dtype=np.int32), np.diff(areas))
    g_plastic = cat(lambda sp: sp.groups.plastic, np.bool_).astype(np.bool_)
    g_window = cat(lambda sp: sp.groups.plasticity_window, np.int64)
    g_constant = cat(lambda sp: sp.groups.plasticity_constant, np.float32)
    # Source areas that actually hold synapses of a plastic group (not what the table claims).
    area_plastic = np.zeros(int(areas[-1]), np.bool_)
    if group.size and g_plastic.any():
        plastic_syn = g_plastic[group]
        area_plastic[neuron_area[source[order][plastic_syn]]] = True

    first, tables, linear = _addressing(neuron_area, xyz, dims, npv)
    motor_area = (flags & AREA_MOTOR) != 0
    slot_base = np.full(int(areas[-1]), -1, np.int32)
    sizes = np.where(motor_area, dims.prod(1), 0)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    slot_base[motor_area] = starts[:-1][motor_area]
    motor_neurons = np.flatnonzero(motor_area[per]).astype(np.int32)
    motor_slots = (slot_base[per[motor_neurons]] + linear[motor_neurons]).astype(np.int32)
    slot_area = np.repeat(np.arange(int(areas[-1])), sizes)
    slot_linear = np.arange(int(starts[-1])) - starts[:-1][slot_area]
    sd = dims[slot_area]
    slot_xyz = np.stack(
        [
            slot_linear // (sd[:, 1] * sd[:, 2]),
            (slot_linear // sd[:, 2]) % sd[:, 1],
            slot_linear % sd[:, 2],
        ],
        axis=1,
    ).astype(np.uint16)
    slot_size = np.bincount(motor_slots, minlength=int(starts[-1])).astype(np.float32)

    return Layout(
        cortical_id=tuple(cid for sp in specs for cid in sp.areas.cortical_id),
        neuron_area=neuron_area,
        threshold=threshold,
        indptr=indptr,
        syn_target=target,
        syn_weight=cat(lambda sp: sp.synapse_weight, np.float32)[order].copy(),
        syn_psp=cat(lambda sp: sp.synapse_psp, np.float32)[order].copy(),
        syn_group=group.astype(np.uint16),
        power_neurons=np.flatnonzero((flags[per] & AREA_POWER) != 0).astype(np.int32),
        area_flags=flags,
        area_leak=cat(lambda sp: sp.areas.leak_coefficient, np.float32),
        area_leak_variability=cat(lambda sp: sp.areas.leak_variability, np.float32),
        area_threshold_limit=cat(lambda sp: sp.areas.threshold_limit, np.float32),
        area_refractory=cat(lambda sp: sp.areas.refractory_period, np.uint16),
        area_fire_limit=cat(lambda sp: sp.areas.consecutive_fire_limit, np.uint16),
        area_snooze=cat(lambda sp: sp.areas.snooze_length, np.uint16),
        area_excitability=cat(lambda sp: sp.areas.excitability, np.float32),
        area_degeneration=cat(lambda sp: sp.areas.degeneration, np.float32),
        area_psc_max=cat(lambda sp: sp.areas.postsynaptic_current_max, np.float32),
        area_plastic=area_plastic,
        area_brain=area_brain,
        area_dims=dims,
        area_npv=npv,
        area_first_neuron=first,
        voxel_index=tables,
        group_plastic=g_plastic,
        group_window_mask=_window_masks(g_window),
        group_ltp_step=(g_constant * cat(lambda sp: sp.groups.ltp_multiplier, np.float32)).astype(
            np.float32
        ),
        group_ltd_step=(g_constant * cat(lambda sp: sp.groups.ltd_multiplier, np.float32)).astype(
            np.float32
        ),
        brain_seed=np.array([int(s) & (2**64 - 1) for s in seeds], np.uint64),
        brain_neuron_offset=neurons,
        brain_area_offset=areas,
        brain_group_offset=groups,
        brain_burst_offset=np.zeros(len(specs), np.int64),
        readout_area_slot=slot_base,
        readout_neurons=motor_neurons,
        readout_slots=motor_slots,
        readout_slot_xyz=slot_xyz,
        readout_slot_size=slot_size,
        readout_area_order=np.flatnonzero(motor_area).astype(np.int64),
        readout_area_slot_sorted=slot_base[motor_area].astype(np.int64),
    )
