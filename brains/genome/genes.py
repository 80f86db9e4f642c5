"""The cortical-area gene table: flat 2.x keys <-> hierarchical properties <-> types.

A *component* is one scalar gene. Axis properties of the hierarchical form
(``block_boundaries`` = [x, y, z]) are split into one component per axis so that flat
genes (``cx-___bbx-i``) and hierarchical lists share one table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

GENE_PREFIX = "_____10c"
"""Expression parameters of every cortical gene FEAGI writes."""

CORTICAL_ID_RE = re.compile(r"[A-Za-z0-9_]{6}")
# Python FEAGI's exons are 6 characters; feagi-core added 4- and 5-character ones (cx-hmlk-d).
_FLAT_KEY_RE = re.compile(
    r"(?P<prefix>[^-]{8})-(?P<cid>[^-]{6})-(?P<cls>cx|nx)-(?P<exon>[^-]{4,6})-(?P<type>[a-z])"
)


class ValueKind(Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    TEXT = "text"
    DICT = "dict"
    INT_OR_NULL = "int_or_null"


@dataclass(frozen=True, slots=True)
class GeneSpec:
    """One scalar gene."""

    gene: str
    """Flat gene without id and type: ``cx-___bbx``."""
    type_chars: tuple[str, ...]
    """Accepted flat type suffixes; the first is what we write for version 2.0."""
    prop: str
    """Hierarchical property name (Python FEAGI's genome 1 names)."""
    axis: int | None
    kind: ValueKind
    minimum: float | None = None
    maximum: float | None = None

    @property
    def component(self) -> str:
        return self.prop if self.axis is None else f"{self.prop}[{self.axis}]"


def _g(
    gene: str,
    types: str,
    prop: str,
    kind: ValueKind,
    axis: int | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> GeneSpec:
    return GeneSpec(gene, tuple(types), prop, axis, kind, minimum, maximum)


_I, _F, _B, _T, _D, _N = (
    ValueKind.INT,
    ValueKind.FLOAT,
    ValueKind.BOOL,
    ValueKind.TEXT,
    ValueKind.DICT,
    ValueKind.INT_OR_NULL,
)

GENES: tuple[GeneSpec, ...] = (
    _g("cx-__name", "t", "cortical_name", _T),
    _g("cx-_group", "t", "group_id", _T),
    _g("cx-subgrp", "t", "sub_group_id", _T),
    _g("cx-_n_cnt", "i", "per_voxel_neuron_cnt", _I, minimum=1),
    _g("cx-___bbx", "i", "block_boundaries", _I, axis=0, minimum=1),
    _g("cx-___bby", "i", "block_boundaries", _I, axis=1, minimum=1),
    _g("cx-___bbz", "i", "block_boundaries", _I, axis=2, minimum=1),
    _g("cx-rcordx", "i", "relative_coordinate", _I, axis=0),
    _g("cx-rcordy", "i", "relative_coordinate", _I, axis=1),
    _g("cx-rcordz", "i", "relative_coordinate", _I, axis=2),
    _g("cx-2dcorx", "i", "2d_coordinate", _N, axis=0),
    _g("cx-2dcory", "i", "2d_coordinate", _N, axis=1),
    _g("cx-gd_vis", "b", "visualization", _B),
    _g("cx-__rand", "b", "location_generation_type", _B),
    _g("cx-synatt", "f", "synapse_attractivity", _F, minimum=0, maximum=100),
    _g("cx-dstmap", "d", "cortical_mapping_dst", _D),
    _g("cx-de_gen", "f", "degeneration", _F, minimum=0),
    _g("cx-pspuni", "b", "psp_uniform_distribution", _B),
    _g("nx-pstcr_", "f", "postsynaptic_current", _F),
    _g("nx-pstcrm", "f", "postsynaptic_current_max", _F, minimum=0),
    _g("nx-fire_t", "f", "firing_threshold", _F),
    _g("nx-ftincx", "f", "firing_threshold_increment_x", _F),
    _g("nx-ftincy", "f", "firing_threshold_increment_y", _F),
    _g("nx-ftincz", "f", "firing_threshold_increment_z", _F),
    _g("nx-fthlim", "f", "firing_threshold_limit", _F, minimum=0),
    _g("nx-refrac", "i", "refractory_period", _I, minimum=0),
    _g("nx-leak_c", "f", "leak_coefficient", _F, minimum=0),
    _g("nx-leak_v", "f", "leak_variability", _F),
    _g("nx-c_fr_c", "i", "consecutive_fire_cnt_max", _I, minimum=0),
    _g("nx-snooze", "fi", "snooze_length", _I, minimum=0),
    _g("nx-mp_acc", "b", "mp_charge_accumulation", _B),
    _g("nx-mp_psp", "b", "mp_driven_psp", _B),
    _g("nx-excite", "f", "neuron_excitability", _F, minimum=0),
    _g("cx-memory", "b", "is_mem_type", _B),
    _g("cx-mem__t", "i", "longterm_mem_threshold", _I, minimum=0),
    _g("cx-mem_gr", "i", "lifespan_growth_rate", _I, minimum=0),
    _g("cx-mem_ls", "i", "init_lifespan", _I, minimum=0),
    _g("cx-tmpdpt", "i", "temporal_depth", _I, minimum=1),
    _g("cx-devcnt", "i", "dev_count", _I, minimum=1),
    _g("cx-twinrf", "t", "memory_twin_of", _T),
    # feagi-core additions.
    _g("cx-hmlk", "d", "rate_modulated_leak", _D),
    _g("cx-mplrn", "b", "mp_learning_enabled", _B),
    _g("cx-mnwin", "i", "min_window_activity", _I, minimum=0),
    _g("cx-scnsk", "f", "scan_skip_density", _F, minimum=0),
)

GENES_BY_GENE: dict[str, GeneSpec] = {spec.gene: spec for spec in GENES}
GENES_BY_COMPONENT: dict[str, GeneSpec] = {spec.component: spec for spec in GENES}

AXIS_PROPERTIES: dict[str, int] = {
    "block_boundaries": 3,
    "relative_coordinate": 3,
    "2d_coordinate": 2,
}
SCALAR_PROPERTIES: frozenset[str] = frozenset(spec.prop for spec in GENES if spec.axis is None)

PROPERTY_ALIASES: dict[str, str] = {
    # feagi-core's renames of the hierarchical form, accepted on input.
    "neurons_per_voxel": "per_voxel_neuron_cnt",
    "snooze_period": "snooze_length",
    "consecutive_fire_limit": "consecutive_fire_cnt_max",
    "cortical_group": "group_id",
}

REQUIRED_COMPONENTS: tuple[str, ...] = (
    "block_boundaries[0]",
    "block_boundaries[1]",
    "block_boundaries[2]",
)


@dataclass(frozen=True, slots=True)
class FlatKey:
    prefix: str
    cortical_id: str
    gene: str
    type_char: str


def parse_flat_key(key: str) -> FlatKey | None:
    """Split ``_____10c-i__inf-cx-___bbx-i``; ``None`` when the key is not 5 fixed segments."""
    match = _FLAT_KEY_RE.fullmatch(key)
    if match is None:
        return None
    return FlatKey(
        prefix=match["prefix"],
        cortical_id=match["cid"],
        gene=f"{match['cls']}-{match['exon']}",
        type_char=match["type"],
    )


def flat_key(cortical_id: str, spec: GeneSpec, type_char: str | None = None) -> str:
    return f"{GENE_PREFIX}-{cortical_id}-{spec.gene}-{type_char or spec.type_chars[0]}"


def looks_like_flat_key(key: str) -> bool:
    """A cheap test used to tell flat blueprints from hierarchical ones."""
    return key.count("-") >= 4 and key[8:9] == "-"
