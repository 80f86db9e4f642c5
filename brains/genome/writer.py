"""Genome model -> JSON: flat 2.x (what FEAGI reads) or the hierarchical form.

Floats that hold whole numbers are written as JSON integers, as FEAGI's own genomes do
(``"nx-pstcr_-f": 1``); the loader reads them back as the same floats, so
load -> save -> load is the identity on the model.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Literal

from brains.genome.genes import GENES, GeneSpec, flat_key
from brains.genome.model import (
    BrainRegion,
    CorticalArea,
    Genome,
    JsonObject,
    JsonValue,
    MappingRule,
    Morphology,
    Physiology,
)

BlueprintForm = Literal["flat", "hierarchical"]


def genome_to_dict(genome: Genome, *, form: BlueprintForm = "flat") -> dict[str, Any]:
    """The genome as a JSON-ready dict, with a flat (default) or hierarchical blueprint.

    Typed ``dict[str, Any]`` rather than :data:`JsonObject` so callers can index the
    document without narrowing every level. The document shares nothing with ``genome``:
    changing it never changes the (immutable) model.
    """
    document: dict[str, Any] = {
        "genome_id": genome.genome_id,
        "genome_title": genome.title,
        "genome_description": genome.description,
        "version": genome.version,
        "neuron_morphologies": {
            name: morphology_to_json(m) for name, m in genome.morphologies.items()
        },
        "hosts": genome.hosts,
        "physiology": physiology_to_json(genome.physiology, genome.version),
    }
    if genome.stats is not None:
        document["stats"] = genome.stats
    if genome.signatures is not None:
        document["signatures"] = dict(genome.signatures)
    if genome.timestamp is not None:
        document["timestamp"] = genome.timestamp
    if genome.brain_regions is not None:
        document["brain_regions"] = {
            region_id: region_to_json(region) for region_id, region in genome.brain_regions.items()
        }
    for key, value in genome.extra.items():
        document[key] = value
    blueprint: JsonObject = dict(genome.blueprint_comments)
    if form == "flat":
        blueprint.update(flat_blueprint(genome))
    else:
        blueprint.update(hierarchical_blueprint(genome))
    document["blueprint"] = blueprint
    return copy.deepcopy(document)


def dumps_genome(genome: Genome, *, form: BlueprintForm = "flat", indent: int | None = 3) -> str:
    """Serialise to JSON text (FEAGI writes its genomes with ``indent=3``)."""
    return json.dumps(genome_to_dict(genome, form=form), indent=indent, ensure_ascii=False)


def flat_blueprint(genome: Genome) -> JsonObject:
    """``{"_____10c-<id>-<gene>-<type>": value}`` for every area, in genome order."""
    use_int_snooze = genome.version != "2.0"
    blueprint: JsonObject = {}
    for area in genome.areas.values():
        properties = area_properties(area)
        for spec in GENES:
            value = _component_value(properties, spec)
            if value is _ABSENT:
                continue
            type_char = spec.type_chars[0]
            if spec.prop == "snooze_length" and use_int_snooze:
                type_char = "i"
            blueprint[flat_key(area.cortical_id, spec, type_char)] = value
    return blueprint


def hierarchical_blueprint(genome: Genome) -> JsonObject:
    """``{cortical_id: {property: value}}`` with Python FEAGI's property names."""
    return {area.cortical_id: dict(area_properties(area)) for area in genome.areas.values()}


_ABSENT: Any = object()


def _component_value(properties: dict[str, JsonValue], spec: GeneSpec) -> Any:
    value = properties.get(spec.prop, _ABSENT)
    if value is _ABSENT or spec.axis is None:
        return value
    assert isinstance(value, list)
    return value[spec.axis]


def area_properties(area: CorticalArea) -> dict[str, JsonValue]:
    """One area as hierarchical properties; optional genes that are unset are omitted."""
    properties: dict[str, JsonValue] = {
        "cortical_name": area.name,
        "group_id": area.group.value,
        "sub_group_id": area.sub_group,
        "per_voxel_neuron_cnt": area.neurons_per_voxel,
        "block_boundaries": list(area.dimensions),
        "relative_coordinate": list(area.relative_coordinate),
        "2d_coordinate": list(area.coordinate_2d),
        "visualization": area.visualization,
        "synapse_attractivity": _number(area.synapse_attractivity),
        "cortical_mapping_dst": {
            destination: [rule_to_json(rule) for rule in rules]
            for destination, rules in area.mappings.items()
        },
        "degeneration": _number(area.degeneration),
        "psp_uniform_distribution": area.psp_uniform_distribution,
        "postsynaptic_current": _number(area.postsynaptic_current),
        "postsynaptic_current_max": _number(area.postsynaptic_current_max),
        "firing_threshold": _number(area.firing_threshold),
        "firing_threshold_increment_x": _number(area.firing_threshold_increment.x),
        "firing_threshold_increment_y": _number(area.firing_threshold_increment.y),
        "firing_threshold_increment_z": _number(area.firing_threshold_increment.z),
        "firing_threshold_limit": _number(area.firing_threshold_limit),
        "refractory_period": area.refractory_period,
        "leak_coefficient": _number(area.leak_coefficient),
        "leak_variability": _number(area.leak_variability),
        "consecutive_fire_cnt_max": area.consecutive_fire_cnt_max,
        "snooze_length": area.snooze_length,
        "mp_charge_accumulation": area.mp_charge_accumulation,
        "mp_driven_psp": area.mp_driven_psp,
        "neuron_excitability": _number(area.neuron_excitability),
        "is_mem_type": area.is_mem_type,
        "longterm_mem_threshold": area.longterm_mem_threshold,
        "lifespan_growth_rate": area.lifespan_growth_rate,
        "init_lifespan": area.init_lifespan,
        "temporal_depth": area.temporal_depth,
    }
    if area.location_generation_random is not None:
        properties["location_generation_type"] = area.location_generation_random
    if area.dev_count is not None:
        properties["dev_count"] = area.dev_count
    if area.memory_twin_of is not None:
        properties["memory_twin_of"] = area.memory_twin_of
    if area.rate_modulated_leak is not None:
        properties["rate_modulated_leak"] = area.rate_modulated_leak
    if area.mp_learning_enabled is not None:
        properties["mp_learning_enabled"] = area.mp_learning_enabled
    if area.min_window_activity is not None:
        properties["min_window_activity"] = area.min_window_activity
    if area.scan_skip_density is not None:
        properties["scan_skip_density"] = _number(area.scan_skip_density)
    return properties


def rule_to_json(rule: MappingRule) -> JsonValue:
    """The shortest faithful form: a 7-element list, 8 with a window, 9 with a window and a
    delay, a dict otherwise."""
    values: list[JsonValue] = [
        rule.morphology_id,
        list(rule.morphology_scalar),
        _number(rule.psc_multiplier),
        rule.plasticity_flag,
        _number(rule.plasticity_constant),
        _number(rule.ltp_multiplier),
        _number(rule.ltd_multiplier),
    ]
    needs_dict = rule.synapse_attractivity is not None or (
        rule.synaptic_delay_bursts is not None and rule.plasticity_window is None
    )
    if needs_dict:
        as_dict: dict[str, JsonValue] = dict(
            zip(
                (
                    "morphology_id",
                    "morphology_scalar",
                    "postSynapticCurrent_multiplier",
                    "plasticity_flag",
                    "plasticity_constant",
                    "ltp_multiplier",
                    "ltd_multiplier",
                ),
                values,
                strict=True,
            )
        )
        if rule.plasticity_window is not None:
            as_dict["plasticity_window"] = rule.plasticity_window
        if rule.synaptic_delay_bursts is not None:
            as_dict["synaptic_delay_bursts"] = rule.synaptic_delay_bursts
        if rule.synapse_attractivity is not None:
            as_dict["synapse_attractivity"] = _number(rule.synapse_attractivity)
        return as_dict
    if rule.plasticity_window is not None:
        values.append(rule.plasticity_window)
        if rule.synaptic_delay_bursts is not None:
            values.append(rule.synaptic_delay_bursts)
    return values


def morphology_to_json(morphology: Morphology) -> JsonValue:
    body: dict[str, JsonValue] = {
        "parameters": morphology.parameters,
        "type": morphology.type.value,
    }
    if morphology.morphology_class is not None:
        body["class"] = morphology.morphology_class
    body.update(morphology.extra)
    return body


def physiology_to_json(physiology: Physiology, version: str) -> JsonObject:
    timestep_key = "burst_delay" if version == "2.0" else "simulation_timestep"
    body: JsonObject = {
        timestep_key: physiology.simulation_timestep,
        "max_age": physiology.max_age,
        "evolution_burst_count": physiology.evolution_burst_count,
        "ipu_idle_threshold": physiology.ipu_idle_threshold,
        "plasticity_queue_depth": physiology.plasticity_queue_depth,
        "lifespan_mgmt_interval": physiology.lifespan_mgmt_interval,
    }
    if physiology.quantization_precision is not None:
        body["quantization_precision"] = physiology.quantization_precision
    body.update(physiology.extra)
    return body


def region_to_json(region: BrainRegion) -> JsonObject:
    body: JsonObject = {
        "title": region.title,
        "description": region.description,
        "parent_region_id": region.parent_region_id,
        "coordinate_2d": list(region.coordinate_2d),
        "coordinate_3d": list(region.coordinate_3d),
        "areas": list(region.areas),
        "regions": list(region.regions),
        "inputs": list(region.inputs),
        "outputs": list(region.outputs),
    }
    body.update(region.extra)
    return body


def _number(value: float) -> int | float:
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
