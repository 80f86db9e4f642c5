"""The hand-over to the burst engine: a :class:`Connectome` as a ``NetworkSpec``.

Physiology is converted once here, to feagi-core's run-time semantics:

* ``neuron_excitability`` is a percentage in the genome (100 = always); the NPU takes a
  probability: ``clip(percent / 100, 0, 1)``;
* ``firing_threshold_limit`` is passed as an absolute upper bound (feagi-core), 0 = none;
* ``consecutive_fire_cnt_max`` (0 = unlimited), ``snooze_length`` and
  ``refractory_period`` become ``uint16`` bursts, clipped to 0..65535;
* ``leak_coefficient`` is a percentage of the membrane potential lost per burst in the
  genome; the NPU takes the fraction (``V <- V * (1 - leak)``): ``clip(percent / 100, 0, 1)``;
* ``leak_variability``, ``degeneration`` and ``postsynaptic_current_max`` are passed as
  the genome gives them;
* a synapse's weight is its signed PSC multiplier (summed over the rules that made the
  pair) and its psp the source area's ``postsynaptic_current``;
* a plastic rule without ``plasticity_window`` gets window 1.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from brains.connectome.builtins import core_kind
from brains.connectome.connectome import Connectome
from brains.connectome.errors import LimitExceededError
from brains.genome.model import CorticalGroup
from brains.npu.network import AreaTable, NetworkSpec, PlasticityGroupTable

__all__ = ["to_network_spec"]

_U16_MAX = np.iinfo(np.uint16).max


def _u16(values: list[int]) -> NDArray[np.uint16]:
    return np.clip(np.asarray(values, dtype=np.int64), 0, _U16_MAX).astype(np.uint16)


def _f32(values: list[float]) -> NDArray[np.float32]:
    return np.asarray(values, dtype=np.float32)


def _percent(values: list[float]) -> NDArray[np.float32]:
    """Genome percentages (0..100) as run-time fractions (0..1)."""
    return np.asarray(np.clip(_f32(values) / 100.0, 0.0, 1.0), dtype=np.float32)


def _areas(connectome: Connectome) -> AreaTable:
    areas = list(connectome.areas.values())
    return AreaTable(
        cortical_id=tuple(a.cortical_id for a in areas),
        dimensions=np.array([tuple(a.dimensions) for a in areas], dtype=np.int32).reshape(-1, 3),
        neurons_per_voxel=np.array([a.neurons_per_voxel for a in areas], dtype=np.int32),
        firing_threshold=_f32([a.firing_threshold for a in areas]),
        threshold_increment=np.array(
            [tuple(a.firing_threshold_increment) for a in areas], dtype=np.float32
        ).reshape(-1, 3),
        threshold_limit=_f32([a.firing_threshold_limit for a in areas]),
        leak_coefficient=_percent([a.leak_coefficient for a in areas]),
        leak_variability=_f32([a.leak_variability for a in areas]),
        refractory_period=_u16([a.refractory_period for a in areas]),
        consecutive_fire_limit=_u16([a.consecutive_fire_cnt_max for a in areas]),
        snooze_length=_u16([a.snooze_length for a in areas]),
        mp_charge_accumulation=np.array([a.mp_charge_accumulation for a in areas], dtype=bool),
        mp_driven_psp=np.array([a.mp_driven_psp for a in areas], dtype=bool),
        psp_uniform_distribution=np.array(
            [a.psp_uniform_distribution for a in areas], dtype=bool),
        excitability=_percent([a.neuron_excitability for a in areas]),
        degeneration=_f32([a.degeneration for a in areas]),
        postsynaptic_current_max=_f32([a.postsynaptic_current_max for a in areas]),
        is_power=np.array([core_kind(a.cortical_id) == "power" for a in areas], dtype=bool),
        is_sensory=np.array([a.group is CorticalGroup.IPU for a in areas], dtype=bool),
        is_motor=np.array([a.group is CorticalGroup.OPU for a in areas], dtype=bool),
        is_memory=np.array([a.is_memory for a in areas], dtype=bool),
    )


def to_network_spec(connectome: Connectome) -> NetworkSpec:
    """Everything the NPU needs to run this connectome, as arrays."""
    neurons = connectome.neurons
    for axis in (neurons.x, neurons.y, neurons.z):
        if axis.shape[0] and int(axis.max()) > _U16_MAX:
            raise LimitExceededError(
                "an area is wider than 65,536 voxels along an axis; the NPU stores voxel "
                "coordinates as uint16")
    synapses = connectome.synapses
    groups = connectome.synapse_groups
    source_index = {cid: i for i, cid in enumerate(connectome.area_ids)}
    plasticity = PlasticityGroupTable(
        source_area=np.array([source_index[g.source] for g in groups], dtype=np.uint32),
        destination_area=np.array([source_index[g.destination] for g in groups],
                                  dtype=np.uint32),
        plastic=np.array([g.rule.plasticity_flag for g in groups], dtype=bool),
        plasticity_constant=_f32([g.rule.plasticity_constant for g in groups]),
        ltp_multiplier=_f32([g.rule.ltp_multiplier for g in groups]),
        ltd_multiplier=_f32([g.rule.ltd_multiplier for g in groups]),
        plasticity_window=_u16([g.plasticity_window for g in groups]),
    )
    return NetworkSpec(
        areas=_areas(connectome),
        neuron_area=neurons.area,
        neuron_xyz=np.stack([neurons.x, neurons.y, neurons.z], axis=1).astype(np.uint16),
        synapse_source=synapses.source,
        synapse_target=synapses.target,
        synapse_weight=synapses.weight,
        synapse_psp=synapses.psp,
        synapse_group=synapses.group,
        groups=plasticity,
    )
