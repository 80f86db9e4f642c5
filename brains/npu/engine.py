"""``BurstEngine``: one developed brain, burst by burst.

Rules of a burst (feagi-core's ``process_burst``; where this differs it says why):

1. Housekeeping: refractory/snooze countdowns tick for neurons that did not fire last burst;
   the per-neuron fire history (a bitmask, bit 0 = this burst) shifts.
2. Candidates: staged sensory potential and stimulation (``inject_sensory``, ``stimulate``),
   every power-area neuron, then propagation of last burst's fire queue through its synapses.
   A synapse delivers ``weight * psp``, with ``psp`` replaced by the source's membrane
   potential at firing when its area is ``mp_driven_psp``, and divided by the source's
   out-degree unless its area is ``psp_uniform_distribution``. Degeneration lowers a firing
   source's outgoing PSPs first (floor 0). One burst of synaptic delay: a neuron that fires
   in burst B reaches its targets in burst B + 1.
3. Integrate and fire, per candidate: a stimulated neuron fires unconditionally. Otherwise a
   neuron with a countdown running discards its input; else ``mp += input`` and it fires iff
   ``threshold <= mp`` (threshold = base + per-axis increments x voxel coordinates) and
   ``mp <= threshold_limit`` (absolute, 0 = none: feagi-core) and an excitability draw passes
   (hash of seed, neuron, burst: deterministic). Power neurons skip the threshold and the draw.
   A neuron at its consecutive-fire limit is blocked once and its count restarts. On fire:
   ``mp = 0``, consecutive count +1 (restarting at 1 when it did not fire last burst: the
   Python FEAGI's rule; feagi-core only resets it on a non-firing candidate), countdown =
   refractory period (+ snooze when the count reached the limit). Not firing: accumulating
   neurons leak, ``mp *= 1 - leak``; others drop to 0 (feagi-core resets them next burst).
   Refractory countdowns tick every burst (feagi-core ticks them only while a neuron is a
   candidate, which keeps an idle neuron refractory forever).
4. Plasticity (``plasticity_kernels``) on the PSP of plastic mappings' synapses.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from brains.npu.errors import InvalidInputError
from brains.npu.layout import build_layout
from brains.npu.network import NetworkSpec
from brains.npu.runtime import MemoryUsage, MotorFrame, Runtime, as_values
from brains.npu.snapshot import EngineSnapshot

__all__ = ["BurstEngine", "SynapseTable"]


class SynapseTable:
    """A copy of the synapses in CSR-by-source order, as COO columns."""

    __slots__ = ("group", "psp", "source", "target", "weight")

    def __init__(self, runtime: Runtime) -> None:
        runtime.merge_synapses()
        lay = runtime.layout
        self.source: NDArray[np.int64] = np.repeat(
            np.arange(lay.neuron_count, dtype=np.int64), np.diff(lay.indptr)
        )
        self.target: NDArray[np.uint32] = lay.syn_target.copy()
        self.weight: NDArray[np.float32] = lay.syn_weight.copy()
        self.psp: NDArray[np.float32] = lay.syn_psp.copy()
        self.group: NDArray[np.uint16] = lay.syn_group.copy()


class BurstEngine:
    """Runs one :class:`NetworkSpec`. Not thread-safe: one caller at a time (``BurstLoop``).

    ``spec`` is validated and converted once (:class:`InvalidNetworkError` names the field);
    ``seed`` fixes the excitability and leak-variability draws: same spec, seed and inputs
    give the same bursts, bit for bit.
    """

    def __init__(self, spec: NetworkSpec, *, seed: int = 0) -> None:
        self._rt = Runtime(build_layout([spec], [seed]))
        self.seed = seed

    # --- shape ----------------------------------------------------------------------------

    @property
    def neuron_count(self) -> int:
        """Neurons (fixed at construction)."""
        return self._rt.layout.neuron_count

    @property
    def synapse_count(self) -> int:
        """Synapses, including grown ones not merged yet."""
        return int(self._rt.layout.syn_target.shape[0]) + self._rt.pending_synapses

    @property
    def cortical_ids(self) -> tuple[str, ...]:
        """Cortical id of each area index."""
        return self._rt.layout.cortical_id

    def area_index(self, cortical_id: str) -> int:
        """Index of an area by its cortical id; :class:`InvalidInputError` when unknown."""
        try:
            return self._rt.layout.cortical_id.index(cortical_id)
        except ValueError:
            raise InvalidInputError(f"unknown cortical area {cortical_id!r}") from None

    # --- running --------------------------------------------------------------------------

    def step(self) -> int:
        """Run one burst; returns how many neurons fired in it."""
        self._rt.run(1, 0)
        return self._rt.fired_count

    def step_n(self, n: int, *, record: int = 0) -> NDArray[np.int64]:
        """Run ``n`` bursts in one kernel call; returns fired totals of the first ``record``."""
        return self._rt.run(int(n), int(record))

    @property
    def burst_count(self) -> int:
        """Bursts run so far."""
        return self._rt.burst_count

    @property
    def synaptic_events(self) -> int:
        """Synapses traversed by propagation since the start."""
        return self._rt.synaptic_events

    @property
    def fired_last_burst(self) -> int:
        """How many neurons fired in the last burst."""
        return self._rt.fired_count

    def fired_neurons(self) -> NDArray[np.int32]:
        """Ids of the neurons that fired in the last burst (the queue propagating next)."""
        return self._rt.fired_neurons(0)

    def fired_membrane_potentials(self) -> NDArray[np.float32]:
        """Membrane potential of each neuron of :meth:`fired_neurons` when it fired."""
        return self._rt.fired_mp[: self._rt.fired_count].copy()

    def fired_by_area(self) -> NDArray[np.int64]:
        """Neurons fired in the last burst, per area index."""
        return self._rt.fired_by_area.copy()

    def fired_by_cortical_id(self) -> dict[str, int]:
        """Neurons fired in the last burst per cortical id, areas that fired only."""
        ids = self._rt.layout.cortical_id
        counts = self._rt.fired_by_area
        return {ids[a]: int(counts[a]) for a in np.flatnonzero(counts)}

    def events_by_area(self) -> NDArray[np.int64]:
        """Synaptic events since the start, per source area."""
        return self._rt.events_by_area.copy()

    # --- input ----------------------------------------------------------------------------

    def inject_sensory(self, area_index: int, xyz: ArrayLike, values: ArrayLike) -> None:
        """Add ``values[k]`` to every neuron of voxel ``xyz[k]`` of a sensory (IPU) area.

        The potential is integrated in the next burst (it fires then if it crosses threshold).
        """
        self._rt.inject_sensory(0, area_index, xyz, values)

    def inject_sensory_batch(
        self, area_indices: ArrayLike, xyz: ArrayLike, values: ArrayLike
    ) -> None:
        """Batch form of :meth:`inject_sensory`: row ``k`` is (area, x, y, z, value)."""
        self._rt.inject_sensory_batch(0, area_indices, xyz, values)

    def inject_potential(self, neuron_ids: ArrayLike, values: ArrayLike) -> None:
        """Add potential to given neurons (any area) for the next burst."""
        self._rt.inject_potential(0, neuron_ids, values)

    def stimulate(self, area_index: int, xyz: ArrayLike) -> None:
        """Force every neuron of the given voxels to fire in the next burst."""
        self._rt.stimulate(0, area_index, xyz)

    def stimulate_area(self, area_index: int) -> None:
        """Force every neuron of an area to fire in the next burst."""
        self._rt.stimulate_area(0, area_index)

    def stimulate_neurons(self, neuron_ids: ArrayLike) -> None:
        """Force the given neurons to fire in the next burst."""
        self._rt.stimulate_neurons(0, neuron_ids)

    def membrane_potential(self) -> NDArray[np.float32]:
        """A copy of every neuron's membrane potential."""
        return self._rt.membrane_potential.copy()

    def set_membrane_potential(self, neuron_ids: ArrayLike, values: ArrayLike) -> None:
        """Overwrite the membrane potential of the given neurons."""
        ids = self._rt.brain_neurons(0, neuron_ids, "set_membrane_potential")
        self._rt.membrane_potential[ids] = as_values(values, ids.shape[0])

    # --- output ---------------------------------------------------------------------------

    def motor_output(self) -> dict[int, MotorFrame]:
        """Per motor area index: its voxels active in the last burst and their activity."""
        return self._rt.brain_motor_output(0)

    # --- synapses, state, memory ----------------------------------------------------------

    def synapses(self) -> SynapseTable:
        """A copy of the synapses (growth merged), in CSR-by-source order."""
        return SynapseTable(self._rt)

    def add_synapses(
        self,
        source: ArrayLike,
        target: ArrayLike,
        weight: ArrayLike,
        psp: ArrayLike,
        group: ArrayLike,
    ) -> int:
        """Grow synapses (append buffer, merged before the next burst); returns the count."""
        return self._rt.add_synapses(0, source, target, weight, psp, group)

    def snapshot(self) -> EngineSnapshot:
        """Every mutable array (neuron state, staged input, fire queue, synapses), copied."""
        return self._rt.snapshot()

    def restore(self, snapshot: EngineSnapshot) -> None:
        """Return to a snapshot of an engine built from the same network."""
        self._rt.restore(snapshot)

    def memory_bytes(self) -> MemoryUsage:
        """Bytes held, per neuron and per synapse (budget: 48 and 16)."""
        return self._rt.memory()
