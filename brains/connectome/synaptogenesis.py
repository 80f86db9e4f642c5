"""Synaptogenesis: mapping rules -> synapses between the neurons of two areas.

A rule's morphology gives voxel pairs (:mod:`brains.connectome.axes`), each voxel pair
becomes every (source neuron, destination neuron) pair of the two voxels, synapse
attractivity thins them with a seeded RNG, and the rules of one source -> destination
mapping are merged so that a neuron pair produced by several rules is ONE synapse whose
weight is the sum of the rules' PSC multipliers (the FEAGI engine would create one
synapse per rule).

Neuron indices here are *local* to their area: voxel ``v`` holds neurons
``v * npv .. v * npv + npv - 1``.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from brains.connectome import axes
from brains.connectome.axes import AxisTable
from brains.connectome.errors import (
    InvalidMappingError,
    LimitExceededError,
    UnknownMorphologyError,
    UnsupportedMorphologyError,
)
from brains.genome.core_morphologies import CORE_MORPHOLOGIES
from brains.genome.model import CorticalArea, MappingRule, Morphology, MorphologyType

__all__ = [
    "MEMORY_FUNCTIONS",
    "MappingSynapses",
    "develop_mapping",
    "resolve_morphology",
    "rule_voxel_pairs",
]

I64 = NDArray[np.int64]
Dims = tuple[int, int, int]
Tables = tuple[AxisTable, AxisTable, AxisTable]

_TRANSPOSE = {
    "projector": (0, 1, 2),
    "projector_xy": (1, 0, 2),
    "projector_xz": (2, 1, 0),
    "projector_yz": (0, 2, 1),
}
_FROM_END = {"project_from_end_x": 0, "project_from_end_y": 1, "project_from_end_z": 2}
_BLOCK_CONNECTION_SIZE = 10
_MAX_RULES = int(np.iinfo(np.uint16).max)  # rule indices are stored as uint16
_SYNAPSE_FUNCTIONS = frozenset({
    *_TRANSPOSE, *_FROM_END, "expander_x", "reducer_x", "randomizer", "lateral_pairs_x",
    "block_connection", "block_to_block", "last_to_first",
})
MEMORY_FUNCTIONS = frozenset({"memory", "episodic_memory", "memory_replay", "associative_memory"})
"""Function morphologies that only register a memory feeder: no synapse at development."""


@dataclass(frozen=True, slots=True)
class MappingSynapses:
    """The synapses of one source -> destination mapping, in area-local neuron indices.

    Each (source, destination) pair appears once. ``rule`` is the index of the
    first rule that produced the pair: its plasticity parameters govern the synapse.
    """

    source: str
    destination: str
    rules: tuple[MappingRule, ...]
    src: NDArray[np.uint32]
    dst: NDArray[np.uint32]
    weight: NDArray[np.float32]
    rule: NDArray[np.uint16]
    rule_counts: tuple[int, ...]
    """Synapses each rule creates when installed alone (FEAGI's per-morphology count)."""

    @property
    def count(self) -> int:
        return int(self.src.shape[0])


def resolve_morphology(morphologies: Mapping[str, Morphology], morphology_id: str,
                       where: str) -> Morphology:
    """The genome's definition of a morphology, else the built-in one."""
    found = morphologies.get(morphology_id) or CORE_MORPHOLOGIES.get(morphology_id)
    if found is None:
        raise UnknownMorphologyError(morphology_id, where)
    return found


def _dims(area: CorticalArea) -> Dims:
    x, y, z = area.dimensions
    return (x, y, z)


def _function_tables(name: str, src: Dims, dst: Dims, where: str) -> list[tuple[Tables, Dims]]:
    if name in MEMORY_FUNCTIONS:
        return []
    if name in _TRANSPOSE:
        perm = _TRANSPOSE[name]
        tables = tuple(axes.projector_axis(src[perm[i]], dst[i]) for i in range(3))
        return [((tables[0], tables[1], tables[2]), perm)]
    if name in _FROM_END:
        axis = _FROM_END[name]
        per_axis = [
            axes.single_axis(src[i] - 1, 0, src[i], dst[i]) if i == axis
            else axes.projector_axis(src[i], dst[i])
            for i in range(3)
        ]
        return [((per_axis[0], per_axis[1], per_axis[2]), (0, 1, 2))]
    if name == "last_to_first":
        per_axis = [axes.single_axis(src[i] - 1, 0, src[i], dst[i]) for i in range(3)]
        return [((per_axis[0], per_axis[1], per_axis[2]), (0, 1, 2))]
    if name in ("expander_x", "reducer_x"):
        first = (axes.expander_axis if name == "expander_x" else axes.reducer_axis)(
            src[0], dst[0])
        return [((first, axes.collapse_axis(src[1], dst[1]),
                  axes.collapse_axis(src[2], dst[2])), (0, 1, 2))]
    if name == "lateral_pairs_x":
        return [((axes.lateral_pairs_axis(src[0], dst[0]), axes.identity_axis(src[1], dst[1]),
                  axes.identity_axis(src[2], dst[2])), (0, 1, 2))]
    if name == "block_connection":
        return [((axes.block_connection_axis(src[0], dst[0], _BLOCK_CONNECTION_SIZE),
                  axes.identity_axis(src[1], dst[1]), axes.identity_axis(src[2], dst[2])),
                 (0, 1, 2))]
    if name == "randomizer":
        raise UnsupportedMorphologyError(
            f"{where}: 'randomizer' is drawn per neuron, not per voxel pair; develop the "
            "mapping instead")
    if name == "block_to_block":
        return [((axes.identity_axis(src[0], dst[0]), axes.identity_axis(src[1], dst[1]),
                  axes.identity_axis(src[2], dst[2])), (0, 1, 2))]
    raise UnsupportedMorphologyError(
        f"{where}: function morphology {name!r} is not supported; supported functions: "
        f"{', '.join(sorted(_SYNAPSE_FUNCTIONS | MEMORY_FUNCTIONS))}"
    )


def _separable_tables(morphology: Morphology, rule: MappingRule, src: Dims, dst: Dims,
                      where: str) -> list[tuple[Tables, Dims]]:
    if morphology.type is MorphologyType.VECTORS:
        scalar = rule.morphology_scalar
        out: list[tuple[Tables, Dims]] = []
        for vector in morphology.vectors:
            per_axis = [axes.offset_axis(src[i], dst[i], vector[i] * scalar[i]) for i in range(3)]
            out.append(((per_axis[0], per_axis[1], per_axis[2]), (0, 1, 2)))
        return out
    if morphology.type is MorphologyType.PATTERNS:
        return [
            ((axes.pattern_axis(pair.source[0], pair.destination[0], src[0], dst[0]),
              axes.pattern_axis(pair.source[1], pair.destination[1], src[1], dst[1]),
              axes.pattern_axis(pair.source[2], pair.destination[2], src[2], dst[2])),
             (0, 1, 2))
            for pair in morphology.patterns
        ]
    if morphology.type is MorphologyType.FUNCTIONS:
        return _function_tables(morphology.morphology_id, src, dst, where)
    raise UnsupportedMorphologyError(
        f"{where}: morphology {morphology.morphology_id!r} of type {morphology.type} "
        "cannot be used here"
    )


def _tile_starts(size: int, seed: int, choose: int, skip: int) -> I64:
    """Starts of the chosen seed-sized tiles along one axis (choose c, skip s, repeat)."""
    blocks = np.arange(size // seed, dtype=np.int64)
    period = choose + skip
    chosen = blocks[(blocks % period) < choose] if period > 0 else blocks[:0]
    return chosen * seed


def _is_randomizer(morphology: Morphology) -> bool:
    return morphology.type is MorphologyType.FUNCTIONS and morphology.morphology_id == "randomizer"


def _tile_mask(size: int, seed: int, starts: I64) -> NDArray[np.bool_]:
    """Which coordinates along an axis lie inside a chosen tile."""
    cells = (starts[:, None] + np.arange(seed, dtype=np.int64)[None, :]).ravel()
    mask = np.zeros(size, dtype=np.bool_)
    mask[cells[cells < size]] = True
    return mask


def _composite_parts(morphology: Morphology, morphologies: Mapping[str, Morphology],
                     rule: MappingRule, src: Dims, dst: Dims,
                     where: str) -> tuple[list[tuple[Tables, Dims]], Morphology, list[I64]]:
    spec = morphology.composite
    if spec is None:
        raise InvalidMappingError(f"{where}: composite morphology without parameters")
    seed = tuple(spec.src_seed)
    if min(seed) < 1:
        raise InvalidMappingError(
            f"{where}: composite morphology {morphology.morphology_id!r} has src_seed "
            f"{list(seed)}; every seed size must be >= 1")
    if any(choose < 0 or skip < 0 for choose, skip in spec.src_pattern):
        raise InvalidMappingError(
            f"{where}: composite morphology {morphology.morphology_id!r} has negative "
            "choose/skip counts in src_pattern")
    starts = [
        _tile_starts(src[i], seed[i], spec.src_pattern[i][0], spec.src_pattern[i][1])
        for i in range(3)
    ]
    mapper = resolve_morphology(morphologies, spec.mapper_morphology, where)
    if mapper.type is MorphologyType.COMPOSITE:
        raise UnsupportedMorphologyError(
            f"{where}: composite morphology {morphology.morphology_id!r} maps with another "
            f"composite ({spec.mapper_morphology!r}); nesting is not supported")
    if _is_randomizer(mapper):
        return [], mapper, starts
    if mapper.type is MorphologyType.FUNCTIONS:
        # Functions see the tile as their whole source area (Python FEAGI's sub-region).
        local = _separable_tables(mapper, rule, (seed[0], seed[1], seed[2]), dst, where)
        tiled = []
        for tables, perm in local:
            per_axis = [axes.tile_axis(tables[i], starts[perm[i]]) for i in range(3)]
            tiled.append(((per_axis[0], per_axis[1], per_axis[2]), perm))
        return tiled, mapper, starts
    # Vectors and patterns keep absolute coordinates; only tiled sources take part.
    allowed = [_tile_mask(src[i], seed[i], starts[i]) for i in range(3)]
    restricted = []
    for tables, perm in _separable_tables(mapper, rule, src, dst, where):
        per_axis = [axes.restrict_source(tables[i], allowed[perm[i]]) for i in range(3)]
        restricted.append(((per_axis[0], per_axis[1], per_axis[2]), perm))
    return restricted, mapper, starts


def _voxel_union(parts: list[tuple[Tables, Dims]], src: Dims, dst: Dims,
                 max_pairs: int, where: str) -> tuple[I64, I64]:
    total = sum(axes.product_size(tables) for tables, _ in parts)
    if total > max_pairs:
        raise LimitExceededError(
            f"{where}: the rule would create {total:,} voxel pairs, more than the synapse "
            f"limit {max_pairs:,}; shrink the areas or raise the limit", resource="synapses")
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    pairs = [axes.product(tables, src, dst, perm) for tables, perm in parts]
    if len(pairs) == 1:
        return pairs[0]
    dst_voxels = dst[0] * dst[1] * dst[2]
    keys = _sorted_unique(np.concatenate([s * dst_voxels + d for s, d in pairs]))
    return keys // dst_voxels, keys % dst_voxels


def _sorted_unique(keys: I64) -> I64:
    """``np.unique`` by sorting: numpy 2.x's default hash-based path is ~50x slower on the
    hundreds of thousands of keys a dense morphology makes."""
    keys = np.sort(keys)
    if keys.size == 0:
        return keys
    keep = np.empty(keys.size, dtype=bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys[keep]


def rule_voxel_pairs(morphology: Morphology, rule: MappingRule, src: Dims, dst: Dims,
                     morphologies: Mapping[str, Morphology] | None = None, *,
                     max_pairs: int = 2**62, where: str = "rule") -> tuple[I64, I64]:
    """Unique (source voxel, destination voxel) linear-index pairs of a separable rule.

    ``randomizer`` (and composites mapping with it) are not separable; they are handled
    per neuron by :func:`develop_mapping`.
    """
    library = morphologies or {}
    if morphology.type is MorphologyType.COMPOSITE:
        parts, _, _ = _composite_parts(morphology, library, rule, src, dst, where)
    else:
        parts = _separable_tables(morphology, rule, src, dst, where)
    return _voxel_union(parts, src, dst, max_pairs, where)


def _expand_to_neurons(src_v: I64, dst_v: I64, npv_src: int, npv_dst: int) -> tuple[I64, I64]:
    if npv_src == 1 and npv_dst == 1:
        return src_v, dst_v
    ks = np.arange(npv_src, dtype=np.int64)
    kd = np.arange(npv_dst, dtype=np.int64)
    shape = (src_v.shape[0], npv_src, npv_dst)
    src_n = np.broadcast_to((src_v[:, None] * npv_src + ks[None, :])[:, :, None], shape)
    dst_n = np.broadcast_to((dst_v[:, None] * npv_dst + kd[None, :])[:, None, :], shape)
    return src_n.ravel(), dst_n.ravel()


def _randomizer_pairs(src_area: CorticalArea, dst_area: CorticalArea, rng: _LazyRng,
                      tile_starts: list[I64] | None, seed: Dims | None) -> tuple[I64, I64]:
    src = _dims(src_area)
    npv_src, npv_dst = src_area.neurons_per_voxel, dst_area.neurons_per_voxel
    voxels = np.arange(src[0] * src[1] * src[2], dtype=np.int64)
    if tile_starts is not None and seed is not None:
        coords = np.unravel_index(voxels, src)
        inside = np.ones(voxels.shape[0], dtype=np.bool_)
        for i in range(3):
            inside &= _tile_mask(src[i], seed[i], tile_starts[i])[coords[i]]
        voxels = voxels[inside]
    # One random destination voxel per source *neuron*, as Python FEAGI draws per neuron.
    src_n = (voxels[:, None] * npv_src + np.arange(npv_src)[None, :]).ravel()
    dst_voxels = int(np.prod(_dims(dst_area)))
    picked = rng.integers(0, dst_voxels, size=src_n.shape[0])
    return _expand_to_neurons(src_n, picked, 1, npv_dst)


class _LazyRng:
    """The rule's generator, created only if the rule draws anything (most never do).

    Seeded per (genome seed, mapping, rule) so re-running one mapping reproduces it
    exactly, whatever else changed in the connectome.
    """

    def __init__(self, seed: int, source: str, destination: str, index: int) -> None:
        self._entropy = [seed, zlib.crc32(source.encode()), zlib.crc32(destination.encode()),
                         index]
        self._rng: np.random.Generator | None = None

    def integers(self, low: int, high: int, size: int) -> I64:
        if self._rng is None:
            self._rng = np.random.default_rng(self._entropy)
        return self._rng.integers(low, high, size=size, dtype=np.int64)


def _rule_neuron_pairs(rule: MappingRule, index: int, src_area: CorticalArea,
                       dst_area: CorticalArea, morphologies: Mapping[str, Morphology],
                       seed: int, max_synapses: int) -> tuple[I64, I64]:
    where = (f"mapping {src_area.cortical_id!r} -> {dst_area.cortical_id!r}, "
             f"rule {index} ({rule.morphology_id!r})")
    morphology = resolve_morphology(morphologies, rule.morphology_id, where)
    empty = np.zeros(0, dtype=np.int64)
    if src_area.is_memory or dst_area.is_memory:
        return empty, empty  # memory areas have no neurons at development
    rng = _LazyRng(seed, src_area.cortical_id, dst_area.cortical_id, index)
    src, dst = _dims(src_area), _dims(dst_area)
    npv_src, npv_dst = src_area.neurons_per_voxel, dst_area.neurons_per_voxel
    per_pair = npv_src * npv_dst
    if _is_randomizer(morphology):
        src_n, dst_n = _randomizer_pairs(src_area, dst_area, rng, None, None)
    elif morphology.type is MorphologyType.COMPOSITE:
        parts, mapper, starts = _composite_parts(morphology, morphologies, rule, src, dst, where)
        if _is_randomizer(mapper):
            assert morphology.composite is not None
            tile = morphology.composite.src_seed
            src_n, dst_n = _randomizer_pairs(src_area, dst_area, rng, starts,
                                             (tile[0], tile[1], tile[2]))
        else:
            src_v, dst_v = _voxel_union(parts, src, dst, max_synapses // per_pair, where)
            src_n, dst_n = _expand_to_neurons(src_v, dst_v, npv_src, npv_dst)
    else:
        src_v, dst_v = rule_voxel_pairs(morphology, rule, src, dst, morphologies,
                                        max_pairs=max_synapses // per_pair, where=where)
        src_n, dst_n = _expand_to_neurons(src_v, dst_v, npv_src, npv_dst)
    attractivity = (rule.synapse_attractivity if rule.synapse_attractivity is not None
                    else dst_area.synapse_attractivity)
    if attractivity < 100 and src_n.shape[0]:
        keep = rng.integers(0, 100, size=src_n.shape[0]) < attractivity
        src_n, dst_n = src_n[keep], dst_n[keep]
    return src_n, dst_n


def develop_mapping(src_area: CorticalArea, dst_area: CorticalArea,
                    rules: tuple[MappingRule, ...], morphologies: Mapping[str, Morphology],
                    *, seed: int, max_synapses: int) -> MappingSynapses:
    """Run synaptogenesis for every rule of one mapping and merge repeated neuron pairs."""
    if len(rules) > _MAX_RULES:
        raise LimitExceededError(
            f"mapping {src_area.cortical_id!r} -> {dst_area.cortical_id!r} has {len(rules):,} "
            f"rules; at most {_MAX_RULES:,} are supported")
    per_rule = [
        _rule_neuron_pairs(rule, i, src_area, dst_area, morphologies, seed, max_synapses)
        for i, rule in enumerate(rules)
    ]
    counts = tuple(int(s.shape[0]) for s, _ in per_rule)
    total = sum(counts)
    if total > max_synapses:
        raise LimitExceededError(
            f"mapping {src_area.cortical_id!r} -> {dst_area.cortical_id!r} would create "
            f"{total:,} synapses, more than the limit {max_synapses:,}", resource="synapses")
    dst_neurons = max(dst_area.neuron_capacity, 1)
    if total == 0:
        return MappingSynapses(src_area.cortical_id, dst_area.cortical_id, rules,
                               np.zeros(0, np.uint32), np.zeros(0, np.uint32),
                               np.zeros(0, np.float32), np.zeros(0, np.uint16), counts)
    producing = [i for i, count in enumerate(counts) if count]
    if len(producing) == 1:
        # One rule's pairs are already unique: nothing to merge.
        (only,) = producing
        src_n, dst_n = per_rule[only]
        return MappingSynapses(
            src_area.cortical_id, dst_area.cortical_id, rules,
            src_n.astype(np.uint32), dst_n.astype(np.uint32),
            np.full(total, rules[only].psc_multiplier, dtype=np.float32),
            np.full(total, only, dtype=np.uint16), counts,
        )
    keys = np.concatenate([s * dst_neurons + d for s, d in per_rule])
    weights = np.concatenate([
        np.full(count, rule.psc_multiplier, dtype=np.float64)
        for rule, count in zip(rules, counts, strict=True)
    ])
    owners = np.repeat(np.arange(len(rules), dtype=np.uint16), counts)
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    summed = np.bincount(inverse, weights=weights, minlength=unique.shape[0])
    return MappingSynapses(
        src_area.cortical_id, dst_area.cortical_id, rules,
        (unique // dst_neurons).astype(np.uint32),
        (unique % dst_neurons).astype(np.uint32),
        summed.astype(np.float32),
        owners[first],
        counts,
    )
