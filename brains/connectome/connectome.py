"""The developed brain: areas, regions, neurons and synapses, with the CRUD the REST layer needs.

Storage is built so that an edit re-develops only what it touches:

* areas are the genome's :class:`~brains.genome.model.CorticalArea` records, in order;
  neuron ids are dense and assigned area by area, so they are derived, not stored;
* synapses are kept per source -> destination mapping in *area-local* neuron indices
  (:class:`~brains.connectome.synaptogenesis.MappingSynapses`). Resizing an area re-runs
  neurogenesis for it and synaptogenesis for the mappings that touch it; every other
  mapping's arrays are kept as they are (the same objects) and only re-offset when the
  global arrays are assembled;
* global arrays (neurons, synapses, per-neuron indexes) are assembled lazily and cached
  until the next edit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray

from brains.connectome.builtins import core_kind
from brains.connectome.errors import (
    AreaExistsError,
    InvalidAreaError,
    InvalidMappingError,
    InvalidRegionError,
    LimitExceededError,
    UnknownAreaError,
    UnknownMappingError,
    UnknownNeuronError,
    UnknownRegionError,
)
from brains.connectome.neurogenesis import Neurons, area_neuron_count, grow_neurons
from brains.connectome.synaptogenesis import MappingSynapses, develop_mapping
from brains.genome.model import (
    BrainRegion,
    CorticalArea,
    CorticalGroup,
    MappingRule,
    Morphology,
    Vec3,
    Vec3f,
)

__all__ = [
    "DEFAULT_LIMITS",
    "AreaCounts",
    "Connectome",
    "ConnectomeCounts",
    "DevelopmentLimits",
    "NeuronInfo",
    "Redevelopment",
    "SynapseGroup",
    "Synapses",
]

U32 = NDArray[np.uint32]
MappingKey = tuple[str, str]

# Fields whose change means the area's neurons must be grown again (so does a change of
# memory-ness, which group, sub_group and is_mem_type decide together).
_NEUROGENESIS_FIELDS = frozenset({"dimensions", "neurons_per_voxel"})
# Fields whose change means the mappings *into* the area must be re-run.
_AFFERENT_FIELDS = frozenset({"synapse_attractivity"})
_FIXED_FIELDS = frozenset({"cortical_id", "mappings"})


@dataclass(frozen=True, slots=True)
class DevelopmentLimits:
    """Caps checked before anything is allocated (feagi-core's default NPU capacity)."""

    max_areas: int = 10_000
    max_neurons: int = 10_000_000
    max_synapses: int = 100_000_000

    def lowered_to(self, cap: DevelopmentLimits) -> DevelopmentLimits:
        """Each limit, or ``cap``'s when lower: never looser than either."""
        return DevelopmentLimits(
            max_areas=min(self.max_areas, cap.max_areas),
            max_neurons=min(self.max_neurons, cap.max_neurons),
            max_synapses=min(self.max_synapses, cap.max_synapses),
        )


DEFAULT_LIMITS = DevelopmentLimits()


@dataclass(frozen=True, slots=True)
class Synapses:
    """Synapses as struct-of-arrays (COO). Weight is signed: negative = inhibitory."""

    source: U32
    target: U32
    weight: NDArray[np.float32]
    """Sum of the PSC multipliers of the rules that created the pair."""
    psp: NDArray[np.float32]
    """The source area's ``postsynaptic_current``."""
    group: NDArray[np.uint16]
    """Row in :attr:`Connectome.synapse_groups`."""

    def __len__(self) -> int:
        return int(self.source.shape[0])

    def take(self, index: NDArray[np.intp]) -> Synapses:
        return Synapses(self.source[index], self.target[index], self.weight[index],
                        self.psp[index], self.group[index])


@dataclass(frozen=True, slots=True)
class SynapseGroup:
    """The mapping rule that owns a set of synapses, with its plasticity parameters."""

    source: str
    destination: str
    rule_index: int
    rule: MappingRule

    @property
    def plasticity_window(self) -> int:
        """The rule's window; 1 when the rule gives none (the engine would refuse it)."""
        window = self.rule.plasticity_window
        return window if window is not None and window >= 1 else 1


@dataclass(frozen=True, slots=True)
class AreaCounts:
    neurons: int
    synapses_out: int
    synapses_in: int


@dataclass(frozen=True, slots=True)
class ConnectomeCounts:
    """Totals as the FEAGI engine reports them, plus per-area and per-mapping figures."""

    cortical_areas: int
    neurons: int
    """Every neuron, the 7 core areas' included (the engine's log line)."""
    neurons_outside_core: int
    """Neurons of the non-core areas (the engine's ``health_check.neuron_count``)."""
    synapses: int
    areas: Mapping[str, AreaCounts]
    mappings: Mapping[MappingKey, int]


@dataclass(frozen=True, slots=True)
class NeuronInfo:
    """Everything about one neuron the API exposes."""

    neuron_id: int
    cortical_id: str
    area_index: int
    voxel: tuple[int, int, int]
    index_in_voxel: int
    firing_threshold: float
    """Base threshold plus the per-axis increments times the voxel coordinates."""
    area: CorticalArea


#: What :meth:`Connectome.savepoint` returns: copies of the area, synapse and region tables.
Savepoint = tuple[dict[str, CorticalArea], dict[MappingKey, MappingSynapses],
                  dict[str, BrainRegion]]


@dataclass(frozen=True, slots=True)
class Redevelopment:
    """What an edit re-developed (everything else was kept as it was)."""

    neurogenesis: tuple[str, ...] = ()
    synaptogenesis: tuple[MappingKey, ...] = ()


class Connectome:
    """A developed brain. Build one with :func:`brains.connectome.develop`.

    ``limits`` bound this development and every later edit; ``cap`` (see :meth:`limited`)
    lowers them for this development only.
    """

    def __init__(self, areas: Iterable[CorticalArea], morphologies: Mapping[str, Morphology],
                 regions: Mapping[str, BrainRegion], *, seed: int = 0,
                 limits: DevelopmentLimits = DEFAULT_LIMITS,
                 cap: DevelopmentLimits | None = None) -> None:
        self._seed = seed
        self._limits = limits
        self._morphologies: dict[str, Morphology] = dict(morphologies)
        with self.limited(limits if cap is None else cap):
            self._develop(areas, regions)

    def _develop(self, areas: Iterable[CorticalArea], regions: Mapping[str, BrainRegion]) -> None:
        limits = self._limits
        self._areas: dict[str, CorticalArea] = {}
        for area in areas:
            if area.cortical_id in self._areas:
                raise AreaExistsError(area.cortical_id)
            _check_area(area)
            self._areas[area.cortical_id] = area
        if len(self._areas) > limits.max_areas:
            raise LimitExceededError(
                f"{len(self._areas):,} cortical areas exceed the limit of {limits.max_areas:,}",
                resource="areas", count=len(self._areas))
        self._check_neuron_limit(self._areas.values())
        self._regions: dict[str, BrainRegion] = dict(regions)
        self._synapses: dict[MappingKey, MappingSynapses] = {}
        self._invalidate()
        for area in self._areas.values():
            for destination, rules in area.mappings.items():
                if destination not in self._areas:
                    raise InvalidMappingError(
                        f"area {area.cortical_id!r} maps to {destination!r}, which is not an "
                        "area of this brain; add the area or remove the mapping")
                self._develop_mapping((area.cortical_id, destination), tuple(rules))

    # ------------------------------------------------------------------ internals

    def _invalidate(self) -> None:
        self._index: dict[str, int] = {cid: i for i, cid in enumerate(self._areas)}
        counts = np.array([area_neuron_count(a) for a in self._areas.values()], dtype=np.int64)
        self._neuron_offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._neurons: Neurons | None = None
        self._drop_synapse_caches()

    def _drop_synapse_caches(self) -> None:
        self._global: tuple[Synapses, tuple[SynapseGroup, ...]] | None = None
        self._by_source: tuple[NDArray[np.intp], U32] | None = None
        self._by_target: tuple[NDArray[np.intp], U32] | None = None

    def _snapshot(self) -> Savepoint:
        return dict(self._areas), dict(self._synapses), dict(self._regions)

    def _restore(self, snapshot: Savepoint) -> None:
        self._areas, self._synapses, self._regions = snapshot
        self._invalidate()

    def _check_neuron_limit(self, areas: Iterable[CorticalArea]) -> None:
        total = sum(area_neuron_count(a) for a in areas)
        if total > self._limits.max_neurons:
            raise LimitExceededError(
                f"the brain would have {total:,} neurons, more than the limit "
                f"{self._limits.max_neurons:,}; shrink areas or neurons per voxel",
                resource="neurons", count=total)

    def _develop_mapping(self, key: MappingKey, rules: tuple[MappingRule, ...]) -> None:
        self._synapses.pop(key, None)
        if not rules:
            return
        budget = self._limits.max_synapses - sum(m.count for m in self._synapses.values())
        self._synapses[key] = develop_mapping(
            self._areas[key[0]], self._areas[key[1]], rules, self._morphologies,
            seed=self._seed, max_synapses=budget)

    def _area(self, cortical_id: str) -> CorticalArea:
        try:
            return self._areas[cortical_id]
        except KeyError:
            raise UnknownAreaError(cortical_id, list(self._areas)) from None

    def _set_area_mappings(self, cortical_id: str, destination: str,
                           rules: tuple[MappingRule, ...] | None) -> None:
        area = self._areas[cortical_id]
        mappings = dict(area.mappings)
        if rules:
            mappings[destination] = rules
        else:
            mappings.pop(destination, None)
        self._areas[cortical_id] = dataclasses.replace(area, mappings=mappings)

    # ------------------------------------------------------------------ limits

    @contextmanager
    def limited(self, cap: DevelopmentLimits) -> Iterator[None]:
        """Develop within ``cap`` in the block: edits stop with `LimitExceededError` (before
        growing anything past it) where ``cap`` is lower than :attr:`limits`.

        The connectome's own limits come back after the block: a cap is the room of one
        edit (say, what a quota leaves it today), not of the brain's later ones.
        """
        kept = self._limits
        self._limits = kept.lowered_to(cap)
        try:
            yield
        finally:
            self._limits = kept

    # ------------------------------------------------------------------ savepoints

    def savepoint(self) -> Savepoint:
        """The connectome as it is now, for :meth:`rollback`.

        Cheap: areas, mappings' synapse blocks and regions are immutable and shared, only
        the tables holding them are copied."""
        return self._snapshot()

    def rollback(self, savepoint: Savepoint) -> None:
        """Undo every edit made since ``savepoint`` was taken."""
        self._restore((dict(savepoint[0]), dict(savepoint[1]), dict(savepoint[2])))

    # ------------------------------------------------------------------ areas

    @property
    def seed(self) -> int:
        return self._seed

    @property
    def limits(self) -> DevelopmentLimits:
        """The limits development works within now (lowered inside :meth:`limited`)."""
        return self._limits

    @property
    def area_ids(self) -> tuple[str, ...]:
        """Cortical ids in area-index order."""
        return tuple(self._areas)

    @property
    def areas(self) -> Mapping[str, CorticalArea]:
        """Areas by cortical id (read-only view, area-index order)."""
        return MappingProxyType(self._areas)

    @property
    def morphologies(self) -> Mapping[str, Morphology]:
        return MappingProxyType(self._morphologies)

    def area(self, cortical_id: str) -> CorticalArea:
        return self._area(cortical_id)

    def area_index(self, cortical_id: str) -> int:
        self._area(cortical_id)
        return self._index[cortical_id]

    def add_area(self, area: CorticalArea, *, region_id: str | None = None) -> Redevelopment:
        """Add an area (its ``mappings`` are developed too) and place it in a region."""
        if area.cortical_id in self._areas:
            raise AreaExistsError(area.cortical_id)
        _check_area(area)
        if len(self._areas) + 1 > self._limits.max_areas:
            raise LimitExceededError(
                f"adding {area.cortical_id!r} would exceed the limit of "
                f"{self._limits.max_areas:,} cortical areas",
                resource="areas", count=len(self._areas) + 1)
        for destination in area.mappings:
            if destination not in self._areas and destination != area.cortical_id:
                raise UnknownAreaError(destination, list(self._areas))
        target_region = region_id if region_id is not None else self.root_region_id
        if target_region is not None and target_region not in self._regions:
            raise UnknownRegionError(target_region)
        self._check_neuron_limit([*self._areas.values(), area])
        snapshot = self._snapshot()
        self._areas[area.cortical_id] = area
        self._invalidate()
        developed = []
        try:
            for destination, rules in area.mappings.items():
                self._develop_mapping((area.cortical_id, destination), tuple(rules))
                developed.append((area.cortical_id, destination))
        except Exception:
            self._restore(snapshot)
            raise
        if target_region is not None:
            region = self._regions[target_region]
            self._regions[target_region] = dataclasses.replace(
                region, areas=(*region.areas, area.cortical_id))
        return Redevelopment((area.cortical_id,), tuple(developed))

    def update_area(self, cortical_id: str, **changes: Any) -> Redevelopment:
        """Change area properties (``CorticalArea`` field names) and re-develop what they touch.

        Dimensions, neurons per voxel or memory-ness re-run neurogenesis for the area and
        synaptogenesis for every mapping into or out of it; synapse attractivity re-runs
        the mappings into it; other properties re-develop nothing.
        """
        area = self._area(cortical_id)
        fields = {f.name for f in dataclasses.fields(CorticalArea)}
        unknown = sorted(set(changes) - fields)
        if unknown:
            raise InvalidAreaError(
                f"area {cortical_id!r}: unknown properties {unknown}; valid ones are the "
                "CorticalArea fields")
        fixed = sorted(set(changes) & _FIXED_FIELDS)
        if fixed:
            raise InvalidAreaError(
                f"area {cortical_id!r}: {fixed} cannot be changed here; use set_mapping() "
                "for mappings, and add a new area to change an id")
        coerced: dict[str, Any] = {
            name: _coerce(cortical_id, name, getattr(area, name), value)
            for name, value in changes.items()
        }
        updated = dataclasses.replace(area, **coerced)
        _check_area(updated)
        changed = {name for name in changes if getattr(area, name) != getattr(updated, name)}
        regrow = bool(changed & _NEUROGENESIS_FIELDS) or area.is_memory != updated.is_memory
        if regrow:
            self._check_neuron_limit(
                updated if a.cortical_id == cortical_id else a for a in self._areas.values())
        snapshot = self._snapshot()
        self._areas[cortical_id] = updated
        if regrow:
            self._invalidate()
            touched = [k for k in self._synapses_keys_with_rules() if cortical_id in k]
        elif changed & _AFFERENT_FIELDS:
            self._drop_synapse_caches()
            touched = [k for k in self._synapses_keys_with_rules() if k[1] == cortical_id]
        else:
            self._drop_synapse_caches()  # psp comes from the source area's properties
            touched = []
        try:
            for key in touched:
                self._develop_mapping(key, self._rules(key))
        except Exception:
            self._restore(snapshot)
            raise
        return Redevelopment((cortical_id,) if regrow else (), tuple(touched))

    def resize_area(self, cortical_id: str, dimensions: tuple[int, int, int]) -> Redevelopment:
        """Shorthand for ``update_area(cortical_id, dimensions=...)``."""
        return self.update_area(cortical_id, dimensions=Vec3(*dimensions))

    def remove_area(self, cortical_id: str) -> None:
        """Delete an area, its neurons and every mapping into or out of it.

        The core areas (power, death, ...) cannot be removed: the engine relies on them.
        """
        if _is_core(self._area(cortical_id)):
            raise InvalidAreaError(
                f"area {cortical_id!r} is a core area (power, death, fatigue, ...) and cannot "
                "be removed")
        del self._areas[cortical_id]
        for key in [k for k in self._synapses if cortical_id in k]:
            del self._synapses[key]
        for source, area in list(self._areas.items()):
            if cortical_id in area.mappings:
                self._set_area_mappings(source, cortical_id, None)
        for region_id, region in list(self._regions.items()):
            if cortical_id in region.areas:
                self._regions[region_id] = dataclasses.replace(
                    region, areas=tuple(a for a in region.areas if a != cortical_id))
        self._invalidate()

    # ------------------------------------------------------------------ mappings

    def _rules(self, key: MappingKey) -> tuple[MappingRule, ...]:
        return tuple(self._areas[key[0]].mappings.get(key[1], ()))

    def _synapses_keys_with_rules(self) -> list[MappingKey]:
        return [(src, dst) for src, area in self._areas.items()
                for dst, rules in area.mappings.items() if rules]

    @property
    def mappings(self) -> Mapping[MappingKey, tuple[MappingRule, ...]]:
        """Every mapping's rules by (source, destination), in genome order."""
        return {key: self._rules(key) for key in self._synapses_keys_with_rules()}

    def mapping(self, source: str, destination: str) -> tuple[MappingRule, ...]:
        self._area(source)
        self._area(destination)
        rules = self._rules((source, destination))
        if not rules:
            raise UnknownMappingError(source, destination)
        return rules

    def set_mapping(self, source: str, destination: str,
                    rules: Iterable[MappingRule]) -> int:
        """Create or replace a mapping's rules; re-runs synaptogenesis for this pair only.

        Returns the mapping's synapse count. An empty rule list deletes the mapping.
        """
        self._area(source)
        self._area(destination)
        new_rules = tuple(rules)
        key = (source, destination)
        snapshot = self._snapshot()
        self._set_area_mappings(source, destination, new_rules or None)
        try:
            self._develop_mapping(key, new_rules)
        except Exception:
            self._restore(snapshot)
            raise
        self._drop_synapse_caches()
        block = self._synapses.get(key)
        return block.count if block is not None else 0

    def delete_mapping(self, source: str, destination: str) -> None:
        self.mapping(source, destination)
        self.set_mapping(source, destination, ())

    def mapping_synapses(self, source: str, destination: str) -> MappingSynapses:
        """The mapping's synapses in area-local neuron indices (see ``MappingSynapses``)."""
        self.mapping(source, destination)
        return self._synapses[(source, destination)]  # developed whenever it has rules

    # ------------------------------------------------------------------ regions

    @property
    def regions(self) -> Mapping[str, BrainRegion]:
        return MappingProxyType(self._regions)

    @property
    def root_region_id(self) -> str | None:
        for region_id, region in self._regions.items():
            if region.parent_region_id is None:
                return region_id
        return None

    def region(self, region_id: str) -> BrainRegion:
        try:
            return self._regions[region_id]
        except KeyError:
            raise UnknownRegionError(region_id) from None

    def region_of_area(self, cortical_id: str) -> str | None:
        self._area(cortical_id)
        for region_id, region in self._regions.items():
            if cortical_id in region.areas:
                return region_id
        return None

    def add_region(self, region_id: str, *, parent_region_id: str, title: str = "",
                   description: str | None = None) -> BrainRegion:
        if region_id in self._regions:
            raise InvalidRegionError(f"brain region {region_id!r} already exists")
        parent = self.region(parent_region_id)
        region = BrainRegion(region_id, title=title, description=description,
                             parent_region_id=parent_region_id)
        self._regions[region_id] = region
        self._regions[parent_region_id] = dataclasses.replace(
            parent, regions=(*parent.regions, region_id))
        return region

    def update_region(self, region_id: str, **changes: Any) -> BrainRegion:
        """Change a region's title, description or coordinates."""
        region = self.region(region_id)
        allowed = {"title", "description", "coordinate_2d", "coordinate_3d", "extra"}
        bad = sorted(set(changes) - allowed)
        if bad:
            raise InvalidRegionError(
                f"region {region_id!r}: {bad} cannot be changed here; use move_region() to "
                f"re-parent and move_area() to move areas (changeable: {sorted(allowed)})")
        updated = dataclasses.replace(region, **changes)
        self._regions[region_id] = updated
        return updated

    def move_region(self, region_id: str, parent_region_id: str) -> None:
        region = self.region(region_id)
        self.region(parent_region_id)
        if region.parent_region_id is None:
            raise InvalidRegionError(f"region {region_id!r} is the root and cannot be moved")
        ancestor: str | None = parent_region_id
        while ancestor is not None:
            if ancestor == region_id:
                raise InvalidRegionError(
                    f"moving region {region_id!r} under {parent_region_id!r} would make it "
                    "its own ancestor")
            ancestor = self._regions[ancestor].parent_region_id
        old_parent = self._regions[region.parent_region_id]
        self._regions[old_parent.region_id] = dataclasses.replace(
            old_parent, regions=tuple(r for r in old_parent.regions if r != region_id))
        new_parent = self._regions[parent_region_id]
        self._regions[parent_region_id] = dataclasses.replace(
            new_parent, regions=(*new_parent.regions, region_id))
        self._regions[region_id] = dataclasses.replace(region, parent_region_id=parent_region_id)

    def remove_region(self, region_id: str) -> None:
        """Delete a region; its areas and sub-regions move up to its parent."""
        region = self.region(region_id)
        if region.parent_region_id is None:
            raise InvalidRegionError(f"region {region_id!r} is the root and cannot be removed")
        parent_id = region.parent_region_id
        for child in region.regions:
            self._regions[child] = dataclasses.replace(
                self._regions[child], parent_region_id=parent_id)
        parent = self._regions[parent_id]
        self._regions[parent_id] = dataclasses.replace(
            parent,
            areas=(*parent.areas, *region.areas),
            regions=(*(r for r in parent.regions if r != region_id), *region.regions),
        )
        del self._regions[region_id]

    def move_area(self, cortical_id: str, region_id: str) -> None:
        self._area(cortical_id)
        target = self.region(region_id)
        for rid, region in list(self._regions.items()):
            if cortical_id in region.areas:
                self._regions[rid] = dataclasses.replace(
                    region, areas=tuple(a for a in region.areas if a != cortical_id))
        target = self._regions[region_id]
        self._regions[region_id] = dataclasses.replace(
            target, areas=(*target.areas, cortical_id))

    # ------------------------------------------------------------------ neurons

    @property
    def neurons(self) -> Neurons:
        """Every neuron (area index, voxel x, y, z); neuron id = array index."""
        if self._neurons is None:
            self._neurons = grow_neurons(list(self._areas.values()))
        return self._neurons

    @property
    def neuron_count(self) -> int:
        return int(self._neuron_offsets[-1])

    def neuron_range(self, cortical_id: str) -> range:
        """The ids of the area's neurons (contiguous)."""
        i = self.area_index(cortical_id)
        return range(int(self._neuron_offsets[i]), int(self._neuron_offsets[i + 1]))

    def neurons_in_area(self, cortical_id: str) -> U32:
        ids = self.neuron_range(cortical_id)
        return np.arange(ids.start, ids.stop, dtype=np.uint32)

    def neurons_at_voxel(self, cortical_id: str, x: int, y: int, z: int) -> U32:
        """Ids of the neurons in one voxel (empty for memory areas)."""
        area = self._area(cortical_id)
        dx, dy, dz = area.dimensions
        if not (0 <= x < dx and 0 <= y < dy and 0 <= z < dz):
            raise UnknownNeuronError(
                f"voxel ({x}, {y}, {z}) is outside area {cortical_id!r} of dimensions "
                f"{dx}x{dy}x{dz}")
        if area_neuron_count(area) == 0:
            return np.zeros(0, dtype=np.uint32)
        npv = area.neurons_per_voxel
        first = self.neuron_range(cortical_id).start + ((x * dy + y) * dz + z) * npv
        return np.arange(first, first + npv, dtype=np.uint32)

    def neuron(self, neuron_id: int) -> NeuronInfo:
        """A neuron's area, voxel and effective firing threshold."""
        if not 0 <= neuron_id < self.neuron_count:
            raise UnknownNeuronError(
                f"neuron {neuron_id} does not exist; ids run from 0 to {self.neuron_count - 1}")
        index = int(np.searchsorted(self._neuron_offsets, neuron_id, side="right")) - 1
        cortical_id = self.area_ids[index]
        area = self._areas[cortical_id]
        local = neuron_id - int(self._neuron_offsets[index])
        npv = area.neurons_per_voxel
        voxel, slot = divmod(local, npv)
        _, dy, dz = area.dimensions
        x, rest = divmod(voxel, dy * dz)
        y, z = divmod(rest, dz)
        inc = area.firing_threshold_increment
        threshold = area.firing_threshold + inc[0] * x + inc[1] * y + inc[2] * z
        return NeuronInfo(neuron_id, cortical_id, index, (x, y, z), slot, float(threshold), area)

    # ------------------------------------------------------------------ synapses

    def _assemble(self) -> tuple[Synapses, tuple[SynapseGroup, ...]]:
        if self._global is not None:
            return self._global
        groups: list[SynapseGroup] = []
        parts: list[tuple[U32, U32, NDArray[np.float32], NDArray[np.float32],
                          NDArray[np.uint16]]] = []
        # Canonical order (areas, then each area's mappings) rather than edit history, so
        # an edited brain and the same brain developed afresh have identical arrays.
        for key in self._synapses_keys_with_rules():
            block = self._synapses[key]
            if block.count == 0:
                continue
            owners = np.unique(block.rule)
            lookup = np.zeros(len(block.rules), dtype=np.uint16)
            lookup[owners] = np.arange(len(groups), len(groups) + owners.shape[0])
            groups.extend(SynapseGroup(key[0], key[1], int(r), block.rules[int(r)])
                          for r in owners)
            src_offset = np.uint32(self._neuron_offsets[self._index[key[0]]])
            dst_offset = np.uint32(self._neuron_offsets[self._index[key[1]]])
            psp = np.float32(self._areas[key[0]].postsynaptic_current)
            parts.append((block.src + src_offset, block.dst + dst_offset, block.weight,
                          np.full(block.count, psp, dtype=np.float32), lookup[block.rule]))
        if len(groups) > np.iinfo(np.uint16).max:
            raise LimitExceededError(
                f"{len(groups):,} synapse groups (mapping rules with synapses) exceed 65,535")
        if parts:
            arrays = [np.concatenate(column) for column in zip(*parts, strict=True)]
            synapses = Synapses(arrays[0], arrays[1], arrays[2], arrays[3], arrays[4])
        else:
            synapses = Synapses(np.zeros(0, np.uint32), np.zeros(0, np.uint32),
                                np.zeros(0, np.float32), np.zeros(0, np.float32),
                                np.zeros(0, np.uint16))
        self._global = (synapses, tuple(groups))
        return self._global

    @property
    def synapses(self) -> Synapses:
        """All synapses, mapping by mapping (COO; the NPU builds its own CSR)."""
        return self._assemble()[0]

    @property
    def synapse_groups(self) -> tuple[SynapseGroup, ...]:
        """One group per mapping rule that owns synapses; ``Synapses.group`` indexes it."""
        return self._assemble()[1]

    @property
    def synapse_count(self) -> int:
        return sum(block.count for block in self._synapses.values())

    def _sorted_by(self, which: str) -> tuple[NDArray[np.intp], U32]:
        cached = self._by_source if which == "source" else self._by_target
        if cached is None:
            keys = getattr(self.synapses, which)
            order = np.argsort(keys, kind="stable")
            cached = (order, keys[order])
            if which == "source":
                self._by_source = cached
            else:
                self._by_target = cached
        return cached

    def _synapses_of(self, neuron_id: int, which: str) -> Synapses:
        self.neuron(neuron_id)
        order, keys = self._sorted_by(which)
        lo = int(np.searchsorted(keys, neuron_id, side="left"))
        hi = int(np.searchsorted(keys, neuron_id, side="right"))
        return self.synapses.take(order[lo:hi])

    def synapses_out(self, neuron_id: int) -> Synapses:
        """The synapses whose source is ``neuron_id``."""
        return self._synapses_of(neuron_id, "source")

    def synapses_in(self, neuron_id: int) -> Synapses:
        """The synapses whose target is ``neuron_id``."""
        return self._synapses_of(neuron_id, "target")

    # ------------------------------------------------------------------ counts

    def counts(self) -> ConnectomeCounts:
        """Totals, per area (neurons, synapses out/in) and per mapping."""
        out = dict.fromkeys(self._areas, 0)
        into = dict.fromkeys(self._areas, 0)
        per_mapping: dict[MappingKey, int] = {}
        for key in self._synapses_keys_with_rules():
            block = self._synapses.get(key)
            count = block.count if block is not None else 0
            per_mapping[key] = count
            out[key[0]] += count
            into[key[1]] += count
        areas = {
            cid: AreaCounts(area_neuron_count(area), out[cid], into[cid])
            for cid, area in self._areas.items()
        }
        core = sum(c.neurons for cid, c in areas.items() if _is_core(self._areas[cid]))
        return ConnectomeCounts(
            cortical_areas=len(self._areas),
            neurons=self.neuron_count,
            neurons_outside_core=self.neuron_count - core,
            synapses=self.synapse_count,
            areas=MappingProxyType(areas),
            mappings=MappingProxyType(per_mapping),
        )


def _is_core(area: CorticalArea) -> bool:
    return core_kind(area.cortical_id) is not None


def _coerce(cortical_id: str, name: str, old: object, new: object) -> object:
    """``new`` in the type of the field it replaces, or an error naming the property."""
    def bad(expected: str) -> InvalidAreaError:
        return InvalidAreaError(
            f"area {cortical_id!r}: property {name!r} must be {expected}, got {new!r}")

    if isinstance(old, Vec3 | Vec3f):
        cls = type(old)
        numeric = (int,) if cls is Vec3 else (int, float)
        if (not isinstance(new, list | tuple) or len(new) != 3
                or any(isinstance(v, bool) or not isinstance(v, numeric) for v in new)):
            raise bad("three integers" if cls is Vec3 else "three numbers")
        return cls(*new)
    if isinstance(old, CorticalGroup):
        try:
            return CorticalGroup(str(new))
        except ValueError:
            raise bad(f"one of {[g.value for g in CorticalGroup]}") from None
    if isinstance(old, bool):
        if not isinstance(new, bool):
            raise bad("true or false")
        return new
    if isinstance(old, float):
        if isinstance(new, bool) or not isinstance(new, int | float):
            raise bad("a number")
        return float(new)
    if isinstance(old, int):
        if isinstance(new, bool) or not isinstance(new, int):
            raise bad("an integer")
        return new
    if isinstance(old, str) and not isinstance(new, str):
        raise bad("a string")
    return new


def _check_area(area: CorticalArea) -> None:
    if any(not isinstance(d, int) or d < 1 for d in area.dimensions):
        raise InvalidAreaError(
            f"area {area.cortical_id!r}: dimensions {tuple(area.dimensions)} must be "
            "integers >= 1")
    if not isinstance(area.neurons_per_voxel, int) or area.neurons_per_voxel < 1:
        raise InvalidAreaError(
            f"area {area.cortical_id!r}: neurons_per_voxel {area.neurons_per_voxel!r} must be "
            "an integer >= 1")
