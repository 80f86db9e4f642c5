"""Blueprint -> cortical areas: gathers each area's genes (flat or hierarchical) and types them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from brains.genome.collector import ErrorCollector, SectionParser
from brains.genome.errors import ErrorKind
from brains.genome.genes import (
    AXIS_PROPERTIES,
    CORTICAL_ID_RE,
    GENE_PREFIX,
    GENES_BY_COMPONENT,
    GENES_BY_GENE,
    PROPERTY_ALIASES,
    REQUIRED_COMPONENTS,
    SCALAR_PROPERTIES,
    GeneSpec,
    ValueKind,
    flat_key,
    looks_like_flat_key,
    parse_flat_key,
)
from brains.genome.model import (
    Coordinate2D,
    CorticalArea,
    CorticalGroup,
    JsonObject,
    MappingRule,
    Vec3,
    Vec3f,
)
from brains.genome.paths import child
from brains.genome.rule_parser import RuleParser
from brains.genome.values import as_float, as_int, describe, format_number

POWER_AREA_IDS = frozenset({"___pwr", "_power"})
_INVALID: Any = object()
"""Sentinel for "a value was present but wrong" (its error is already recorded)."""


@dataclass
class AreaSource:
    """Where each gene of one area came from, before typing."""

    cortical_id: str
    path: str
    flat: bool
    components: dict[str, tuple[object, str]] = field(default_factory=dict)
    mappings: dict[str, tuple[MappingRule, ...]] = field(default_factory=dict)
    """The rules that parsed, kept even when another gene of the area is wrong."""

    def missing_path(self, spec: GeneSpec) -> str:
        if self.flat:
            return child("$.blueprint", flat_key(self.cortical_id, spec))
        if spec.axis is None:
            return child(self.path, spec.prop)
        return child(child(self.path, spec.prop), spec.axis)


class AreaParser(SectionParser):
    """Collects each area's genes from either blueprint form, then types and checks them."""

    def __init__(self, sink: ErrorCollector) -> None:
        super().__init__(sink)
        self.rules = RuleParser(sink)

    def collect_area_sources(
        self, blueprint: dict[str, Any]
    ) -> tuple[dict[str, AreaSource], JsonObject]:
        comments: JsonObject = {}
        genes: dict[str, Any] = {}
        for key, value in blueprint.items():
            if key.startswith("/"):
                comments[key] = value
            else:
                genes[key] = value
        hierarchical = bool(genes) and all(
            isinstance(value, dict) and not looks_like_flat_key(key) for key, value in genes.items()
        )
        if hierarchical:
            return self.collect_hierarchical(genes), comments
        return self.collect_flat(genes), comments

    def collect_flat(self, genes: dict[str, Any]) -> dict[str, AreaSource]:
        sources: dict[str, AreaSource] = {}
        for key, value in genes.items():
            path = child("$.blueprint", key)
            parsed = parse_flat_key(key)
            if parsed is None:
                kind = (
                    ErrorKind.MIXED_BLUEPRINT
                    if isinstance(value, dict)
                    else ErrorKind.MALFORMED_GENE_KEY
                )
                self.error(
                    path,
                    kind,
                    "blueprint key must be a flat gene '_____10c-<6-char cortical id>-<cx|nx>-"
                    "<6-char gene>-<type>' (or use the hierarchical form for every area)",
                )
                continue
            if parsed.prefix != GENE_PREFIX:
                self.error(
                    path,
                    ErrorKind.MALFORMED_GENE_KEY,
                    f"gene prefix {parsed.prefix!r} is not the cortical gene prefix "
                    f"{GENE_PREFIX!r}",
                )
                continue
            spec = GENES_BY_GENE.get(parsed.gene)
            if spec is None:
                self.error(path, ErrorKind.UNKNOWN_GENE, f"unknown gene {parsed.gene!r}")
                continue
            if parsed.type_char not in spec.type_chars:
                expected = " or ".join(repr(t) for t in spec.type_chars)
                self.error(
                    path,
                    ErrorKind.GENE_TYPE_SUFFIX,
                    f"gene {spec.gene!r} has type suffix {parsed.type_char!r}; expected {expected}",
                )
                continue
            cortical_id = parsed.cortical_id
            if not CORTICAL_ID_RE.fullmatch(cortical_id):
                self.error(
                    path,
                    ErrorKind.INVALID_CORTICAL_ID,
                    f"cortical id {cortical_id!r} must be 6 characters of A-Z, a-z, 0-9 or _",
                )
                continue
            source = sources.get(cortical_id)
            if source is None:
                source = AreaSource(cortical_id, "$.blueprint", flat=True)
                sources[cortical_id] = source
            if spec.component in source.components:
                _, first = source.components[spec.component]
                self.error(
                    path,
                    ErrorKind.CONFLICTING_GENES,
                    f"gene {spec.prop!r} of area {cortical_id!r} is also given by {first}",
                )
                continue
            source.components[spec.component] = (value, path)
        return sources

    def collect_hierarchical(self, genes: dict[str, Any]) -> dict[str, AreaSource]:
        sources: dict[str, AreaSource] = {}
        for cortical_id, properties in genes.items():
            area_path = child("$.blueprint", cortical_id)
            if not CORTICAL_ID_RE.fullmatch(cortical_id):
                self.error(
                    area_path,
                    ErrorKind.INVALID_CORTICAL_ID,
                    f"cortical id {cortical_id!r} must be 6 characters of A-Z, a-z, 0-9 or _",
                )
                continue
            source = AreaSource(cortical_id, area_path, flat=False)
            sources[cortical_id] = source
            for raw_name, value in properties.items():
                path = child(area_path, raw_name)
                name = PROPERTY_ALIASES.get(raw_name, raw_name)
                if name in AXIS_PROPERTIES:
                    self.collect_axes(source, name, value, path)
                elif name in SCALAR_PROPERTIES:
                    if name in source.components:
                        earlier, first = source.components[name]
                        if earlier == value:
                            # A property and its alias agree (feagi-core writes both group_id
                            # and cortical_group).
                            continue
                        self.error(
                            path,
                            ErrorKind.CONFLICTING_GENES,
                            f"property {name!r} is also given by {first}",
                        )
                        continue
                    source.components[name] = (value, path)
                else:
                    self.error(path, ErrorKind.UNKNOWN_GENE, f"unknown property {raw_name!r}")
        return sources

    def collect_axes(self, source: AreaSource, name: str, value: object, path: str) -> None:
        length = AXIS_PROPERTIES[name]
        if not isinstance(value, list) or len(value) != length:
            self.error(path, ErrorKind.WRONG_TYPE, f"{name!r} must be a list of {length} integers")
            return
        for axis, item in enumerate(value):
            source.components[f"{name}[{axis}]"] = (item, child(path, axis))

    # -- one area ----------------------------------------------------------------

    def build_area(self, source: AreaSource) -> CorticalArea | None:
        errors_before = len(self.errors)
        values: dict[str, Any] = {}
        for component in REQUIRED_COMPONENTS:
            if component not in source.components:
                spec = GENES_BY_COMPONENT[component]
                self.error(
                    source.missing_path(spec),
                    ErrorKind.MISSING_GENE,
                    f"area {source.cortical_id!r} has no {spec.prop} {'xyz'[spec.axis or 0]} gene",
                )
        for component, (raw, path) in source.components.items():
            spec = GENES_BY_COMPONENT[component]
            if spec.prop == "cortical_mapping_dst":
                continue
            if spec.prop == "location_generation_type" and raw in ("random", "sequential"):
                values[component] = raw == "random"
                continue
            values[component] = self.coerce(spec, raw, path)
        mappings = self.parse_mappings(source)
        source.mappings = mappings
        if len(self.errors) > errors_before:
            return None

        group = self.parse_group(source, values.get("group_id"))
        if group is None:
            return None

        def get(component: str, default: Any) -> Any:
            return values.get(component, default)

        snooze = get("snooze_length", 0)
        return CorticalArea(
            cortical_id=source.cortical_id,
            name=get("cortical_name", source.cortical_id),
            group=group,
            dimensions=Vec3(
                values["block_boundaries[0]"],
                values["block_boundaries[1]"],
                values["block_boundaries[2]"],
            ),
            sub_group=get("sub_group_id", ""),
            neurons_per_voxel=get("per_voxel_neuron_cnt", 1),
            relative_coordinate=Vec3(
                get("relative_coordinate[0]", 0),
                get("relative_coordinate[1]", 0),
                get("relative_coordinate[2]", 0),
            ),
            coordinate_2d=Coordinate2D(get("2d_coordinate[0]", 0), get("2d_coordinate[1]", 0)),
            visualization=get("visualization", True),
            location_generation_random=get("location_generation_type", None),
            synapse_attractivity=get("synapse_attractivity", 100.0),
            degeneration=get("degeneration", 0.0),
            psp_uniform_distribution=get(
                "psp_uniform_distribution", source.cortical_id in POWER_AREA_IDS
            ),
            postsynaptic_current=get("postsynaptic_current", 1.0),
            postsynaptic_current_max=get("postsynaptic_current_max", 99999.0),
            firing_threshold=get("firing_threshold", 1.0),
            firing_threshold_increment=Vec3f(
                get("firing_threshold_increment_x", 0.0),
                get("firing_threshold_increment_y", 0.0),
                get("firing_threshold_increment_z", 0.0),
            ),
            firing_threshold_limit=get("firing_threshold_limit", 0.0),
            refractory_period=get("refractory_period", 0),
            leak_coefficient=get("leak_coefficient", 0.0),
            leak_variability=get("leak_variability", 0.0),
            consecutive_fire_cnt_max=get("consecutive_fire_cnt_max", 0),
            snooze_length=snooze,
            mp_charge_accumulation=get("mp_charge_accumulation", False),
            mp_driven_psp=get("mp_driven_psp", False),
            neuron_excitability=get("neuron_excitability", 100.0),
            is_mem_type=get("is_mem_type", False),
            longterm_mem_threshold=get("longterm_mem_threshold", 100),
            lifespan_growth_rate=get("lifespan_growth_rate", 1),
            init_lifespan=get("init_lifespan", 9),
            temporal_depth=get("temporal_depth", 1),
            dev_count=get("dev_count", None),
            memory_twin_of=get("memory_twin_of", None),
            mappings=mappings,
            rate_modulated_leak=get("rate_modulated_leak", None),
            mp_learning_enabled=get("mp_learning_enabled", None),
            min_window_activity=get("min_window_activity", None),
            scan_skip_density=get("scan_skip_density", None),
        )

    def parse_group(self, source: AreaSource, raw: object) -> CorticalGroup | None:
        if raw is None:
            return infer_group(source.cortical_id)
        if isinstance(raw, str) and raw in CorticalGroup.__members__:
            return CorticalGroup(raw)
        _, path = source.components["group_id"]
        allowed = ", ".join(group.value for group in CorticalGroup)
        self.error(path, ErrorKind.OUT_OF_RANGE, f"group {raw!r} must be one of {allowed}")
        return None

    def coerce(self, spec: GeneSpec, raw: object, path: str) -> Any:
        kind = spec.kind
        if kind is ValueKind.INT_OR_NULL and raw is None:
            return None
        value: float | None
        if kind in (ValueKind.INT, ValueKind.INT_OR_NULL):
            value = as_int(raw)
            if value is None:
                self.error(
                    path,
                    ErrorKind.WRONG_TYPE,
                    f"{spec.prop} must be an integer, not {describe(raw)}",
                )
                return _INVALID
        elif kind is ValueKind.FLOAT:
            value = as_float(raw)
            if value is None:
                self.error(
                    path,
                    ErrorKind.WRONG_TYPE,
                    f"{spec.prop} must be a number, not {describe(raw)}",
                )
                return _INVALID
        elif kind is ValueKind.BOOL:
            if not isinstance(raw, bool):
                self.error(
                    path,
                    ErrorKind.WRONG_TYPE,
                    f"{spec.prop} must be true or false, not {describe(raw)}",
                )
                return _INVALID
            return raw
        elif kind is ValueKind.TEXT:
            if not isinstance(raw, str):
                self.error(
                    path,
                    ErrorKind.WRONG_TYPE,
                    f"{spec.prop} must be a string, not {describe(raw)}",
                )
                return _INVALID
            return raw
        else:
            if not isinstance(raw, dict):
                self.error(
                    path,
                    ErrorKind.WRONG_TYPE,
                    f"{spec.prop} must be an object, not {describe(raw)}",
                )
                return _INVALID
            return raw
        if spec.minimum is not None and value < spec.minimum:
            is_dimension = spec.prop == "block_boundaries"
            self.error(
                path,
                ErrorKind.NON_POSITIVE_DIMENSION if is_dimension else ErrorKind.OUT_OF_RANGE,
                f"{spec.component} is {value}; it must be >= {format_number(spec.minimum)}",
            )
            return _INVALID
        if spec.maximum is not None and value > spec.maximum:
            self.error(
                path,
                ErrorKind.OUT_OF_RANGE,
                f"{spec.component} is {value}; it must be <= {format_number(spec.maximum)}",
            )
            return _INVALID
        return value

    def parse_mappings(self, source: AreaSource) -> dict[str, tuple[MappingRule, ...]]:
        entry = source.components.get("cortical_mapping_dst")
        if entry is None:
            return {}
        raw, path = entry
        if not isinstance(raw, dict):
            self.error(path, ErrorKind.WRONG_TYPE, "cortical_mapping_dst must be an object")
            return {}
        mappings: dict[str, tuple[MappingRule, ...]] = {}
        for destination, rules in raw.items():
            dst_path = child(path, destination)
            if not isinstance(rules, list):
                self.error(dst_path, ErrorKind.WRONG_TYPE, "a mapping must be a list of rules")
                continue
            parsed: list[MappingRule] = []
            for index, rule in enumerate(rules):
                result = self.rules.parse_rule(rule, child(dst_path, index))
                if result is not None:
                    parsed.append(result)
            mappings[destination] = tuple(parsed)
        return mappings


def infer_group(cortical_id: str) -> CorticalGroup:
    """The group of an area whose genome omits ``_group``, from its id (feagi-core rule)."""
    first = cortical_id[:1]
    if first == "_":
        return CorticalGroup.CORE
    if first == "i":
        return CorticalGroup.IPU
    if first == "o":
        return CorticalGroup.OPU
    if first in ("m", "M"):
        return CorticalGroup.MEMORY
    return CorticalGroup.CUSTOM
