"""Voxelogenesis and neurogenesis: the neurons of an area as struct-of-arrays.

Neurons of an area are created voxel by voxel in x -> y -> z order and, inside a voxel,
``neurons_per_voxel`` at a time (feagi-core's order). The neuron at local index ``i`` sits
in voxel ``i // npv`` whose linear index is ``(x * Y + y) * Z + z``; so no hash map is
needed to find neurons by voxel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from brains.genome.model import CorticalArea

__all__ = ["Neurons", "area_neuron_count", "grow_neurons"]

U32 = NDArray[np.uint32]


@dataclass(frozen=True, slots=True)
class Neurons:
    """All neurons of a connectome; neuron id = array index."""

    area: U32
    """Area index (position in :attr:`Connectome.area_ids`) of each neuron."""
    x: U32
    y: U32
    z: U32

    def __len__(self) -> int:
        return int(self.area.shape[0])


def area_neuron_count(area: CorticalArea) -> int:
    """Neurons neurogenesis creates in ``area`` (memory areas get none)."""
    return area.innate_neuron_count


def _area_block(index: int, area: CorticalArea) -> tuple[U32, U32, U32, U32]:
    count = area_neuron_count(area)
    if count == 0:
        empty = np.zeros(0, dtype=np.uint32)
        return empty, empty, empty, empty
    dx, dy, dz = area.dimensions
    npv = area.neurons_per_voxel
    # Repeats and tiles instead of divisions: the x -> y -> z -> slot nesting, spelled out.
    x = np.repeat(np.arange(dx, dtype=np.uint32), dy * dz * npv)
    y = np.tile(np.repeat(np.arange(dy, dtype=np.uint32), dz * npv), dx)
    z = np.tile(np.repeat(np.arange(dz, dtype=np.uint32), npv), dx * dy)
    return np.full(count, index, dtype=np.uint32), x, y, z


def grow_neurons(areas: list[CorticalArea]) -> Neurons:
    """Neurogenesis for every area, in area order."""
    blocks = [_area_block(i, area) for i, area in enumerate(areas)]
    if not blocks:
        empty = np.zeros(0, dtype=np.uint32)
        return Neurons(empty, empty, empty, empty)
    return Neurons(*(np.concatenate(parts) for parts in zip(*blocks, strict=True)))
