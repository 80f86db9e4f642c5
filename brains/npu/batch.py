"""``BrainBatch``: many brains packed into shared arrays, bursting in one kernel call per tick.

Inference servers batch requests; this batches brains. Each brain keeps its own numbering
(area and neuron indices are local to it), its own seed and its own burst count for the
excitability draws, so a brain bursts exactly as it would alone in a :class:`BurstEngine`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from brains.npu.errors import InvalidInputError
from brains.npu.layout import build_layout
from brains.npu.network import NetworkSpec
from brains.npu.runtime import MemoryUsage, MotorFrame, Runtime
from brains.npu.snapshot import EngineSnapshot

__all__ = ["BrainBatch"]


class BrainBatch:
    """Bursts ``len(specs)`` brains together; brain ``b`` is addressed by its position."""

    def __init__(self, specs: Sequence[NetworkSpec], *, seeds: Sequence[int] | None = None) -> None:
        chosen = list(seeds) if seeds is not None else [0] * len(specs)
        self._rt = Runtime(build_layout(list(specs), chosen))
        self.seeds = tuple(chosen)

    @property
    def brain_count(self) -> int:
        return self._rt.layout.brain_count

    @property
    def neuron_count(self) -> int:
        return self._rt.layout.neuron_count

    @property
    def burst_count(self) -> int:
        return self._rt.burst_count

    def _brain(self, brain: int) -> int:
        if not 0 <= int(brain) < self.brain_count:
            raise InvalidInputError(f"brain index {brain} out of range (0..{self.brain_count - 1})")
        return int(brain)

    # --- running --------------------------------------------------------------------------

    def step(self) -> int:
        """One burst of every brain in one kernel call; returns the total fired."""
        self._rt.run(1, 0)
        return self._rt.fired_count

    def step_n(self, n: int, *, record: int = 0) -> NDArray[np.int64]:
        """``n`` bursts of every brain in one kernel call (totals of the first ``record``)."""
        return self._rt.run(int(n), int(record))

    # --- per-brain read-out ---------------------------------------------------------------

    def _per_brain(self, per_area: NDArray[np.int64]) -> NDArray[np.int64]:
        sums = np.concatenate([[0], np.cumsum(per_area)])
        offsets = self._rt.layout.brain_area_offset
        out: NDArray[np.int64] = (sums[offsets[1:]] - sums[offsets[:-1]]).astype(np.int64)
        return out

    def fired_per_brain(self) -> NDArray[np.int64]:
        """Neurons fired in the last burst, per brain."""
        return self._per_brain(self._rt.fired_by_area)

    def synaptic_events_per_brain(self) -> NDArray[np.int64]:
        """Synaptic events since the start, per brain."""
        return self._per_brain(self._rt.events_by_area)

    @property
    def synaptic_events(self) -> int:
        return self._rt.synaptic_events

    def fired_neurons(self, brain: int) -> NDArray[np.int32]:
        """Local ids of brain ``brain``'s neurons that fired in the last burst."""
        return self._rt.fired_neurons(self._brain(brain))

    def fired_by_area(self, brain: int) -> NDArray[np.int64]:
        """Neurons of ``brain`` fired in the last burst, per (local) area index."""
        lay = self._rt.layout
        b = self._brain(brain)
        return self._rt.fired_by_area[
            lay.brain_area_offset[b] : lay.brain_area_offset[b + 1]
        ].copy()

    def motor_output(self, brain: int) -> dict[int, MotorFrame]:
        """As :meth:`BurstEngine.motor_output`, for one brain."""
        return self._rt.brain_motor_output(self._brain(brain))

    def motor_activity(
        self,
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.uint16], NDArray[np.float32]]:
        """Every motor voxel active in the last burst, all brains at once:
        ``(brain, area index local to the brain, xyz (K, 3), activity)``."""
        return self._rt.motor_activity()

    def membrane_potential(self, brain: int) -> NDArray[np.float32]:
        """A copy of ``brain``'s membrane potentials (local neuron order)."""
        lay = self._rt.layout
        b = self._brain(brain)
        first, end = lay.brain_neuron_offset[b], lay.brain_neuron_offset[b + 1]
        return self._rt.membrane_potential[first:end].copy()

    # --- per-brain input ------------------------------------------------------------------

    def inject_sensory(
        self, brain: int, area_index: int, xyz: ArrayLike, values: ArrayLike
    ) -> None:
        """As :meth:`BurstEngine.inject_sensory`, for one brain."""
        self._rt.inject_sensory(self._brain(brain), area_index, xyz, values)

    def inject_sensory_batch(
        self, brain: int, area_indices: ArrayLike, xyz: ArrayLike, values: ArrayLike
    ) -> None:
        self._rt.inject_sensory_batch(self._brain(brain), area_indices, xyz, values)

    def inject_sensory_many(
        self, brains: ArrayLike, area_indices: ArrayLike, xyz: ArrayLike, values: ArrayLike
    ) -> None:
        """Sensory input for many brains in one vectorized call: row ``k`` is
        (brain, area local to it, x, y, z, value)."""
        self._rt.inject_sensory_batch(brains, area_indices, xyz, values)

    def inject_potential(self, brain: int, neuron_ids: ArrayLike, values: ArrayLike) -> None:
        self._rt.inject_potential(self._brain(brain), neuron_ids, values)

    def stimulate(self, brain: int, area_index: int, xyz: ArrayLike) -> None:
        self._rt.stimulate(self._brain(brain), area_index, xyz)

    def stimulate_area(self, brain: int, area_index: int) -> None:
        """Force every neuron of one of ``brain``'s areas to fire in the next burst."""
        self._rt.stimulate_area(self._brain(brain), area_index)

    def stimulate_neurons(self, brain: int, neuron_ids: ArrayLike) -> None:
        self._rt.stimulate_neurons(self._brain(brain), neuron_ids)

    # --- state ----------------------------------------------------------------------------

    def snapshot(self) -> EngineSnapshot:
        """The whole batch's mutable state (restore into a batch of the same specs)."""
        return self._rt.snapshot()

    def restore(self, snapshot: EngineSnapshot) -> None:
        """Return the whole batch to a :meth:`snapshot` of a batch of the same specs."""
        self._rt.restore(snapshot)

    def snapshot_brain(self, brain: int) -> EngineSnapshot:
        """One brain's state in :class:`BurstEngine` snapshot format: restore it into an engine
        of that brain's spec, or into a slot of any batch holding the same spec."""
        return self._rt.brain_snapshot(self._brain(brain))

    def restore_brain(self, brain: int, snapshot: EngineSnapshot) -> None:
        """Replace one brain's state (a :meth:`snapshot_brain` or ``BurstEngine.snapshot``);
        it continues from its own burst count while the others run on undisturbed."""
        self._rt.restore_brain(self._brain(brain), snapshot)

    def memory_bytes(self) -> MemoryUsage:
        return self._rt.memory()
