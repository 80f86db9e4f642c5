"""Configurable size limits, checked before anything proportional to a brain is built.

The synapse figure is an upper bound computed from the rules' shapes (per-axis counts,
never a walk over voxels), so a hostile genome cannot make the check itself expensive.
"""

from __future__ import annotations

from dataclasses import dataclass

from brains.genome.core_morphologies import CORE_MORPHOLOGIES
from brains.genome.errors import ErrorKind, GenomeError, GenomeLimitError
from brains.genome.model import (
    CorticalArea,
    Genome,
    MappingRule,
    Morphology,
    MorphologyType,
    PatternElement,
    PatternKind,
    Vec3,
)


@dataclass(frozen=True, slots=True)
class GenomeLimits:
    """Upper bounds a genome must respect to be loaded."""

    max_file_bytes: int = 16 * 1024 * 1024
    max_areas: int = 2_000
    max_neurons: int = 10_000_000
    """Sum over areas of x * y * z * neurons_per_voxel (FEAGI's own cap is 9,999,999)."""
    max_synapses: int = 200_000_000
    """Cap on :func:`estimate_synapses` (an upper bound before de-duplication)."""


DEFAULT_LIMITS = GenomeLimits()

_ONE_PER_SOURCE_VOXEL = frozenset(
    {"randomizer", "lateral_pairs_x", "last_to_first", "block_connection"}
)
_NO_SYNAPSES = frozenset({"memory", "episodic_memory", "memory_replay"})
_PROJECTORS = frozenset(
    {
        "projector",
        "projector_xy",
        "projector_xz",
        "projector_yz",
        "project_from_end_x",
        "project_from_end_y",
        "project_from_end_z",
    }
)


def check_file_size(size: int, limits: GenomeLimits, *, at_least: bool = False) -> None:
    """Raise :class:`GenomeLimitError` when a genome of ``size`` bytes is over the limit.

    ``at_least`` says ``size`` is a lower bound (text measured in characters).
    """
    if size > limits.max_file_bytes:
        measured = f"at least {size}" if at_least else str(size)
        raise GenomeLimitError(
            [
                GenomeError(
                    "$",
                    ErrorKind.FILE_TOO_LARGE,
                    f"genome is {measured} bytes; the limit is {limits.max_file_bytes} bytes",
                )
            ]
        )


def check_limits(genome: Genome, limits: GenomeLimits) -> None:
    """Raise :class:`GenomeLimitError` naming every limit the genome exceeds."""
    errors: list[GenomeError] = []
    if len(genome.areas) > limits.max_areas:
        errors.append(
            GenomeError(
                "$.blueprint",
                ErrorKind.LIMIT_EXCEEDED,
                f"genome has {len(genome.areas)} cortical areas; the limit is {limits.max_areas}",
            )
        )
    neurons = genome.neuron_capacity
    if neurons > limits.max_neurons:
        errors.append(
            GenomeError(
                "$.blueprint",
                ErrorKind.LIMIT_EXCEEDED,
                f"genome would grow {neurons} neurons (x*y*z*neurons_per_voxel summed over "
                f"areas); the limit is {limits.max_neurons}",
            )
        )
    else:
        synapses = estimate_synapses(genome)
        if synapses > limits.max_synapses:
            errors.append(
                GenomeError(
                    "$.blueprint",
                    ErrorKind.LIMIT_EXCEEDED,
                    f"genome could grow up to {synapses} synapses; the limit is "
                    f"{limits.max_synapses}",
                )
            )
    if errors:
        raise GenomeLimitError(errors)


def estimate_synapses(genome: Genome) -> int:
    """Upper bound on the synapses development can create (before duplicate merging)."""
    total = 0
    for source in genome.areas.values():
        for destination_id, rules in source.mappings.items():
            destination = genome.areas.get(destination_id)
            if destination is None:
                continue
            for rule in rules:
                morphology = genome.morphologies.get(rule.morphology_id) or CORE_MORPHOLOGIES.get(
                    rule.morphology_id
                )
                if morphology is None:
                    continue
                total += _rule_bound(source, destination, rule, morphology, genome)
    return total


def _rule_bound(
    source: CorticalArea,
    destination: CorticalArea,
    rule: MappingRule,
    morphology: Morphology,
    genome: Genome,
) -> int:
    if source.innate_neuron_count == 0:
        return 0
    voxel_pairs = _voxel_pairs(source.dimensions, destination.dimensions, morphology, genome)
    voxel_pairs = min(voxel_pairs, source.voxel_count * destination.voxel_count)
    return voxel_pairs * source.neurons_per_voxel * destination.neurons_per_voxel


def _voxel_pairs(src: Vec3, dst: Vec3, morphology: Morphology, genome: Genome) -> int:
    src_voxels = src.x * src.y * src.z
    dst_voxels = dst.x * dst.y * dst.z
    if morphology.type is MorphologyType.VECTORS:
        return src_voxels * len(morphology.vectors)
    if morphology.type is MorphologyType.PATTERNS:
        total = 0
        for pair in morphology.patterns:
            count = 1
            for axis in range(3):
                count *= _axis_sources(pair.source[axis], src[axis]) * _axis_targets(
                    pair.destination[axis], dst[axis]
                )
            total += count
        return total
    if morphology.type is MorphologyType.COMPOSITE and morphology.composite is not None:
        seed = morphology.composite.src_seed
        per_voxel = 1
        for axis in range(3):
            per_voxel *= -(-dst[axis] // max(1, min(seed[axis], src[axis])))
        return src_voxels * per_voxel
    name = morphology.morphology_id
    if name in _NO_SYNAPSES:
        return 0
    if name in _ONE_PER_SOURCE_VOXEL:
        return src_voxels
    if name in _PROJECTORS:
        per_voxel = 1
        for axis in range(3):
            per_voxel *= -(-dst[axis] // src[axis])
        return src_voxels * per_voxel
    return src_voxels * dst_voxels


def _axis_sources(element: PatternElement, size: int) -> int:
    """Source coordinates on one axis that a source-side element selects."""
    if element.kind is PatternKind.EXACT:
        return 1 if element.value < size else 0
    if element.kind is PatternKind.ABSOLUTE_RANGE:
        return max(0, min(element.high, size - 1) - element.low + 1)
    return size


def _axis_targets(element: PatternElement, size: int) -> int:
    """Most destination coordinates one source coordinate can reach on one axis."""
    kind = element.kind
    if kind in (PatternKind.SAME, PatternKind.EXACT, PatternKind.OFFSET):
        return min(1, size)
    if kind is PatternKind.RELATIVE_RANGE:
        return min(size, element.high - element.low + 1)
    if kind is PatternKind.ABSOLUTE_RANGE:
        return max(0, min(element.high, size - 1) - element.low + 1)
    return size
