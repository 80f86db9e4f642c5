"""The boundary between neuroembryogenesis and the burst engine.

A :class:`NetworkSpec` is everything the NPU needs to run a developed brain, as plain
numpy arrays (struct of arrays). ``brains.connectome`` produces it; ``brains.npu`` consumes
it and converts it once into its own run-time layout. Neither side imports the other's
internals through this module.

Conventions (follow feagi-core, see docs/feagi-compatibility.md):

* neuron ids are dense ``0..N-1``; areas are dense ``0..A-1``;
* ``threshold_limit == 0`` means no upper limit; ``consecutive_fire_limit == 0`` unlimited;
* ``excitability`` is a probability in ``[0, 1]`` (``>= 0.999`` always passes);
* a synapse's contribution when its source fires is ``weight * psp`` (``weight`` carries
  the sign: negative = inhibitory), divided by the source's out-degree when the source
  area is not ``psp_uniform_distribution``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

__all__ = ["AreaTable", "NetworkSpec", "PlasticityGroupTable"]

F32 = NDArray[np.float32]
U16 = NDArray[np.uint16]
U32 = NDArray[np.uint32]
I32 = NDArray[np.int32]
B = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class AreaTable:
    """Per-area physiology, one entry per cortical area (length ``A``)."""

    cortical_id: tuple[str, ...]
    dimensions: I32  # shape (A, 3): voxels along x, y, z
    neurons_per_voxel: I32
    firing_threshold: F32
    threshold_increment: F32  # shape (A, 3): added per voxel index along x, y, z
    threshold_limit: F32
    leak_coefficient: F32
    leak_variability: F32
    refractory_period: U16
    consecutive_fire_limit: U16
    snooze_length: U16
    mp_charge_accumulation: B
    mp_driven_psp: B
    psp_uniform_distribution: B
    excitability: F32
    degeneration: F32
    postsynaptic_current_max: F32
    is_power: B  # every neuron fires every burst
    is_sensory: B  # IPU: accepts sensory injection
    is_motor: B  # OPU: read out as motor activity
    is_memory: B  # no neurons at development


@dataclass(frozen=True, slots=True)
class PlasticityGroupTable:
    """One row per (source area, destination area) mapping rule that created synapses."""

    source_area: U32
    destination_area: U32
    plastic: B
    plasticity_constant: F32
    ltp_multiplier: F32
    ltd_multiplier: F32
    plasticity_window: U16  # bursts; >= 1


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """A developed brain as arrays: neurons, synapses (COO, any order) and tables."""

    areas: AreaTable
    neuron_area: U32  # (N,) area index of each neuron
    neuron_xyz: NDArray[np.uint16]  # (N, 3) voxel coordinates inside the area
    synapse_source: U32  # (S,)
    synapse_target: U32  # (S,)
    synapse_weight: F32  # (S,) signed: negative = inhibitory
    synapse_psp: F32  # (S,) postsynaptic potential (source area's PSC)
    synapse_group: U16  # (S,) row in ``groups``
    groups: PlasticityGroupTable

    @property
    def neuron_count(self) -> int:
        return int(self.neuron_area.shape[0])

    @property
    def synapse_count(self) -> int:
        return int(self.synapse_source.shape[0])
