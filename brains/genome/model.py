"""Typed, immutable model of a FEAGI genome.

Every type here is a frozen dataclass (or a NamedTuple for small vectors) so a loaded
genome can be shared between brains without copying. Mappings inside the model are plain
dicts for cheap lookups; treat them as read-only.

Names follow the hierarchical ("genome 1") property names of FEAGI where one exists, with
a few renames spelled out in the field docs. Cortical ids are the genome's own strings
(``i__inf``, ``___pwr``, ``_power``, ``omot00``): no padding, no base64.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple, TypeAlias

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
"""Any value that ``json.loads`` can return."""

JsonObject: TypeAlias = dict[str, JsonValue]


class Vec3(NamedTuple):
    """An integer (x, y, z) triple: dimensions, coordinates, scalars."""

    x: int
    y: int
    z: int


class Vec3f(NamedTuple):
    """A float (x, y, z) triple (per-axis threshold increments)."""

    x: float
    y: float
    z: float


class Coordinate2D(NamedTuple):
    """Position in the 2D circuit-builder graph; FEAGI allows ``null`` per axis."""

    x: int | None
    y: int | None


ORIGIN = Vec3(0, 0, 0)
UNIT_SCALAR = Vec3(1, 1, 1)
NO_INCREMENT = Vec3f(0.0, 0.0, 0.0)
ORIGIN_2D = Coordinate2D(0, 0)


class CorticalGroup(StrEnum):
    """The ``_group`` gene: what kind of cortical area this is."""

    IPU = "IPU"
    OPU = "OPU"
    CORE = "CORE"
    CUSTOM = "CUSTOM"
    MEMORY = "MEMORY"


@dataclass(frozen=True, slots=True)
class MappingRule:
    """One synaptogenesis rule of a source -> destination cortical mapping.

    Normalised from the 4-, 7- and 8-element list forms and from the dict form. Absent
    optional values take FEAGI's defaults (plasticity constant and LTP/LTD multipliers 1).
    """

    morphology_id: str
    morphology_scalar: Vec3 = UNIT_SCALAR
    psc_multiplier: float = 1.0
    """``postSynapticCurrent_multiplier``; negative means inhibitory synapses."""
    plasticity_flag: bool = False
    plasticity_constant: float = 1.0
    ltp_multiplier: float = 1.0
    ltd_multiplier: float = 1.0
    plasticity_window: int | None = None
    """feagi-core's 8th element; ``None`` when the rule does not give one."""
    synapse_attractivity: float | None = None
    """Only dict rules can carry it; ``None`` means "use the destination area's gene"."""
    synaptic_delay_bursts: int | None = None
    """feagi-core's 9th element (bursts of synaptic delay); ``None`` when absent."""


@dataclass(frozen=True, slots=True)
class CorticalArea:
    """One cortical area: every ``_____10c-<id>-...`` gene of the blueprint, typed."""

    cortical_id: str
    name: str
    group: CorticalGroup
    dimensions: Vec3
    """``block_boundaries``: voxel grid size (x, y, z), each >= 1."""
    sub_group: str = ""
    neurons_per_voxel: int = 1
    """``per_voxel_neuron_cnt``."""
    relative_coordinate: Vec3 = ORIGIN
    coordinate_2d: Coordinate2D = ORIGIN_2D
    visualization: bool = True
    location_generation_random: bool | None = None
    """Legacy ``cx-__rand-b`` gene; ``None`` when absent."""
    synapse_attractivity: float = 100.0
    degeneration: float = 0.0
    psp_uniform_distribution: bool = False
    """Absent from the genome: ``True`` for the power area, else ``False`` (feagi-core)."""
    postsynaptic_current: float = 1.0
    postsynaptic_current_max: float = 99999.0
    firing_threshold: float = 1.0
    firing_threshold_increment: Vec3f = NO_INCREMENT
    firing_threshold_limit: float = 0.0
    refractory_period: int = 0
    leak_coefficient: float = 0.0
    leak_variability: float = 0.0
    consecutive_fire_cnt_max: int = 0
    snooze_length: int = 0
    mp_charge_accumulation: bool = False
    mp_driven_psp: bool = False
    neuron_excitability: float = 100.0
    is_mem_type: bool = False
    """The raw ``cx-memory-b`` gene; see :attr:`is_memory` for the effective flag."""
    longterm_mem_threshold: int = 100
    lifespan_growth_rate: int = 1
    init_lifespan: int = 9
    temporal_depth: int = 1
    dev_count: int | None = None
    memory_twin_of: str | None = None
    mappings: Mapping[str, tuple[MappingRule, ...]] = field(default_factory=dict)
    """Efferent mappings keyed by destination cortical id, rules in genome order."""
    rate_modulated_leak: JsonObject | None = None
    """feagi-core's homeostatic leak settings (``cx-hmlk-d``), kept as given."""
    mp_learning_enabled: bool | None = None
    """feagi-core memory gene ``cx-mplrn-b``."""
    min_window_activity: int | None = None
    """feagi-core memory gene ``cx-mnwin-i``."""
    scan_skip_density: float | None = None
    """feagi-core memory gene ``cx-scnsk-f``."""

    @property
    def is_memory(self) -> bool:
        """Memory areas get no neurons at development (they grow them at runtime)."""
        return (
            self.is_mem_type
            or self.group is CorticalGroup.MEMORY
            or "MEMORY" in self.sub_group.upper()
        )

    @property
    def voxel_count(self) -> int:
        x, y, z = self.dimensions
        return x * y * z

    @property
    def neuron_capacity(self) -> int:
        """Neurons the grid holds: voxels x neurons per voxel (memory areas included)."""
        return self.voxel_count * self.neurons_per_voxel

    @property
    def innate_neuron_count(self) -> int:
        """Neurons created by neurogenesis: the capacity, or 0 for memory areas."""
        return 0 if self.is_memory else self.neuron_capacity


class MorphologyType(StrEnum):
    VECTORS = "vectors"
    PATTERNS = "patterns"
    FUNCTIONS = "functions"
    COMPOSITE = "composite"


class PatternKind(StrEnum):
    """One axis of a pattern morphology (feagi-core's full vocabulary)."""

    ANY = "*"
    """Every coordinate on the axis."""
    SAME = "?"
    """The source coordinate."""
    EXCEPT = "!"
    """Every coordinate except the source's."""
    EXACT = "exact"
    """An absolute coordinate (``value``)."""
    ABOVE = "?+"
    """Strictly above the source coordinate."""
    BELOW = "?-"
    """Strictly below the source coordinate."""
    ABOVE_OR_SAME = "?+="
    BELOW_OR_SAME = "?-="
    OFFSET = "offset"
    """``?+N`` / ``?-N``: source coordinate + ``value``."""
    RELATIVE_RANGE = "relative_range"
    """``?-A:?+B``: source + ``low`` .. source + ``high``, inclusive."""
    ABSOLUTE_RANGE = "absolute_range"
    """``N..M``: ``low`` .. ``high``, inclusive."""


@dataclass(frozen=True, slots=True)
class PatternElement:
    """One parsed axis of a pattern; ``raw`` is the JSON value as written."""

    kind: PatternKind
    raw: int | str
    value: int = 0
    low: int = 0
    high: int = 0


class PatternPair(NamedTuple):
    """A source pattern and the destination pattern it maps to."""

    source: tuple[PatternElement, PatternElement, PatternElement]
    destination: tuple[PatternElement, PatternElement, PatternElement]


@dataclass(frozen=True, slots=True)
class CompositeSpec:
    """Parameters of a composite morphology: tile the source, apply a mapper to each tile."""

    src_seed: Vec3
    src_pattern: tuple[tuple[int, int], tuple[int, int], tuple[int, int]]
    """(choose, skip) per axis."""
    mapper_morphology: str


@dataclass(frozen=True, slots=True)
class Morphology:
    """A named connectivity rule from ``neuron_morphologies``.

    ``parameters`` and ``morphology_class`` are kept exactly as given (they are what is
    saved); ``vectors``, ``patterns`` and ``composite`` are their parsed, typed views.
    """

    morphology_id: str
    type: MorphologyType
    parameters: JsonObject
    morphology_class: str | None = "custom"
    """The ``class`` key (``core`` / ``custom``); ``None`` when the genome omits it."""
    vectors: tuple[Vec3, ...] = ()
    patterns: tuple[PatternPair, ...] = ()
    composite: CompositeSpec | None = None
    extra: JsonObject = field(default_factory=dict)
    """Other keys of the morphology object (e.g. ``morphology_name``), kept verbatim."""


@dataclass(frozen=True, slots=True)
class Physiology:
    """Global runtime parameters (``physiology``)."""

    simulation_timestep: float = 0.025
    """Seconds per burst: Python FEAGI's ``burst_delay``, feagi-core's ``simulation_timestep``."""
    max_age: int = 10_000_000
    evolution_burst_count: int = 50
    ipu_idle_threshold: int = 1000
    plasticity_queue_depth: int = 3
    lifespan_mgmt_interval: int = 10
    quantization_precision: str | None = None
    extra: JsonObject = field(default_factory=dict)
    """Keys we do not interpret (e.g. feagi-core's ``sleep`` block), kept verbatim."""

    @property
    def burst_frequency_hz(self) -> float:
        return 1.0 / self.simulation_timestep


@dataclass(frozen=True, slots=True)
class BrainRegion:
    """A node of the ``brain_regions`` hierarchy."""

    region_id: str
    title: str = ""
    description: str | None = None
    parent_region_id: str | None = None
    coordinate_2d: tuple[int, ...] = (0, 0)
    coordinate_3d: tuple[int, ...] = (0, 0, 0)
    areas: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    inputs: tuple[JsonValue, ...] = ()
    outputs: tuple[JsonValue, ...] = ()
    extra: JsonObject = field(default_factory=dict)
    """Other keys (``signature``, ...), kept verbatim."""


@dataclass(frozen=True, slots=True)
class Genome:
    """A whole genome. ``areas`` and ``morphologies`` keep the genome's order."""

    genome_id: str
    title: str
    version: str
    areas: Mapping[str, CorticalArea]
    morphologies: Mapping[str, Morphology]
    physiology: Physiology = Physiology()
    description: str = ""
    timestamp: float | None = None
    brain_regions: Mapping[str, BrainRegion] | None = None
    """``None`` when the genome has no ``brain_regions`` key (older files)."""
    hosts: JsonObject = field(default_factory=dict)
    stats: JsonObject | None = None
    signatures: Mapping[str, str] | None = None
    """Signatures as stored in the file (not recomputed; see ``compute_signatures``)."""
    blueprint_comments: JsonObject = field(default_factory=dict)
    """Blueprint keys starting with ``/`` (FEAGI's JSON comments), kept verbatim."""
    extra: JsonObject = field(default_factory=dict)
    """Unknown top-level keys, kept verbatim."""

    @property
    def neuron_capacity(self) -> int:
        return sum(area.neuron_capacity for area in self.areas.values())

    @property
    def innate_neuron_count(self) -> int:
        return sum(area.innate_neuron_count for area in self.areas.values())
