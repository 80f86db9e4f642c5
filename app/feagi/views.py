"""A brain's state in the JSON shapes the FEAGI engine answers with (no I/O here).

Every function reads a :class:`~brains.brain.Brain` and returns plain JSON-ready values;
they run inside ``FeagiBrainAccess.call``, on the brain's worker thread. Key names, value
types and id encodings follow what feagi-core 0.0.67 answers (recorded in
``tests/app/feagi/reference/``); values the engine reports but brainhost does not model
are documented in ``docs/feagi-api.md``.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterable
from typing import Any, Final

import numpy as np

from app.feagi.access import RunState
from app.feagi.ids import CorticalIdMap
from brains.brain import Brain
from brains.genome import CorticalArea, CorticalGroup, MappingRule, genome_to_dict

__all__ = [
    "afferents",
    "area_properties",
    "area_type",
    "connectome_stats",
    "efferents",
    "fire_queue",
    "genome_document",
    "health_check",
    "id_map",
    "neuron_properties",
]

_F32_MAX: Final = float(np.finfo(np.float32).max)
_U16_MAX: Final = 65535
_HASH_BITS: Final = (1 << 53) - 1  # JSON numbers stay exact in JavaScript clients
_CORTICAL_TYPE: Final = {
    CorticalGroup.CORE: "core",
    CorticalGroup.CUSTOM: "custom",
    CorticalGroup.MEMORY: "memory",
    CorticalGroup.IPU: "sensory",
    CorticalGroup.OPU: "motor",
}


def id_map(brain: Brain) -> CorticalIdMap:
    return CorticalIdMap(brain.connectome.area_ids)


def area_type(area: CorticalArea) -> CorticalGroup:
    """The area's group, with memory-ness decided the way development decides it."""
    return CorticalGroup.MEMORY if area.is_memory else area.group


def _hash(parts: Iterable[object]) -> int:
    digest = hashlib.blake2b(digest_size=8)
    for part in parts:
        digest.update(repr(part).encode())
        digest.update(b"\x00")
    return int.from_bytes(digest.digest(), "big") & _HASH_BITS


def health_check(brain: Brain, run: RunState) -> dict[str, Any]:
    """``GET /v1/system/health_check``."""
    connectome = brain.connectome
    counts = brain.counts()
    limits = connectome.limits
    areas = connectome.areas
    memory_bytes = brain.engine.memory_bytes().total_bytes
    neuron_util = round(100 * counts.neurons / limits.max_neurons) if limits.max_neurons else 0
    synapse_util = round(100 * counts.synapses / limits.max_synapses) if limits.max_synapses else 0
    timestamp = brain.genome.timestamp
    return {
        "burst_engine": run.running,
        "connected_agents": 0,
        "influxdb_availability": False,
        "neuron_count_max": limits.max_neurons,
        "synapse_count_max": limits.max_synapses,
        "latest_changes_saved_externally": False,
        "genome_availability": True,
        "genome_validity": True,
        "brain_readiness": True,
        "genome_loading": False,
        "genome_state": "loaded",
        "feagi_session": _hash([brain.seed, connectome.root_region_id]),
        "fitness": None,
        "cortical_area_count": counts.cortical_areas,
        "neuron_count": counts.neurons_outside_core,
        "memory_neuron_count": 0,
        "regular_neuron_count": counts.neurons_outside_core,
        "synapse_count": counts.synapses,
        "estimated_brain_size_in_MB": memory_bytes / 1_048_576,
        "genome_num": 1,
        "genome_timestamp": int(timestamp) if timestamp is not None else 0,
        "simulation_timestep": 1.0 / run.frequency_hz if run.frequency_hz > 0 else 0.0,
        "memory_area_stats": {},
        "memory_pool": {"pool_capacity": 0, "pool_in_use": 0, "pool_ltm": 0},
        "amalgamation_pending": None,
        "brain_regions_hash": _hash(connectome.regions.values()),
        "cortical_areas_hash": _hash(
            (cid, a.name, a.group, a.dimensions, a.neurons_per_voxel) for cid, a in areas.items()),
        "brain_geometry_hash": _hash(
            (cid, a.dimensions, a.relative_coordinate, a.coordinate_2d)
            for cid, a in areas.items()),
        "morphologies_hash": _hash(connectome.morphologies.values()),
        "cortical_mappings_hash": _hash(connectome.mappings.items()),
        "classifiers_hash": _hash(()),
        "agent_data_hash": _hash(()),
        "synaptic_plasticity_generation": 0,
        "brain_regions_root": connectome.root_region_id,
        "genome_change_sequence": 1,
        "fatigue": {
            "fatigue_index": 0,
            "fatigue_active": False,
            "regular_neuron_util": neuron_util,
            "memory_neuron_util": 0,
            "synapse_util": synapse_util,
        },
    }


def _number(value: float) -> int | float:
    # The engine echoes the genome's numbers, which genomes write as integers when whole.
    return int(value) if float(value).is_integer() else value


def _rule(rule: MappingRule) -> dict[str, Any]:
    return {
        "morphology_id": rule.morphology_id,
        "morphology_scalar": list(rule.morphology_scalar),
        "postSynapticCurrent_multiplier": _number(rule.psc_multiplier),
        "plasticity_flag": rule.plasticity_flag,
        "plasticity_constant": _number(rule.plasticity_constant),
        "ltp_multiplier": _number(rule.ltp_multiplier),
        "ltd_multiplier": _number(rule.ltd_multiplier),
        "plasticity_window": rule.plasticity_window or 0,
        "synaptic_delay_bursts": rule.synaptic_delay_bursts or 1,
    }


def area_properties(brain: Brain, cortical_id: str, ids: CorticalIdMap, requested: str,
                    run: RunState) -> dict[str, Any]:
    """``POST /v1/cortical_area/cortical_area_properties`` for one area.

    ``requested`` is the id as the caller spelled it: the engine echoes it in
    ``cortical_id`` and always gives the base64 form in ``cortical_id_s``.
    """
    connectome = brain.connectome
    area = connectome.area(cortical_id)
    counts = brain.counts().areas[cortical_id]
    group = area_type(area)
    index = connectome.area_index(cortical_id)
    upstream = sorted(connectome.area_index(src) for src, dst in connectome.mappings
                      if dst == cortical_id)
    region = connectome.region_of_area(cortical_id) or connectome.root_region_id
    properties: dict[str, Any] = {
        "2d_coordinate": [area.coordinate_2d.x, area.coordinate_2d.y],
        "consecutive_fire_cnt_max": area.consecutive_fire_cnt_max,
        "consecutive_fire_limit": area.consecutive_fire_cnt_max,
        "cortical_mapping_dst": {
            ids.to_api(dst): [_rule(r) for r in rules] for dst, rules in area.mappings.items()
        },
        "is_mem_type": area.is_memory,
        "location_generation_type": "sequential",
        "synapse_attractivity": area.synapse_attractivity,
        "upstream_cortical_areas": upstream,
        "visualization": area.visualization,
    }
    body: dict[str, Any] = {
        "area_type": group.value,
        "coordinates_3d": list(area.relative_coordinate),
        "cortical_dimensions": list(area.dimensions),
        "cortical_group": group.value,
        "cortical_id": requested,
        "cortical_id_s": ids.to_api(cortical_id),
        "cortical_idx": index,
        "cortical_name": area.name,
        "cortical_type": _CORTICAL_TYPE[group],
        "incoming_synapse_count": counts.synapses_in,
        "neuron_burst_engine_active": run.running,
        "neuron_consecutive_fire_count": area.consecutive_fire_cnt_max,
        "neuron_count": counts.neurons,
        "neuron_degeneracy_coefficient": area.degeneration,
        "neuron_excitability": area.neuron_excitability,
        "neuron_fire_threshold": area.firing_threshold,
        "neuron_fire_threshold_increment": list(area.firing_threshold_increment),
        "neuron_firing_threshold_limit": area.firing_threshold_limit,
        "neuron_init_lifespan": area.init_lifespan,
        "neuron_leak_coefficient": area.leak_coefficient,
        "neuron_leak_variability": area.leak_variability,
        "neuron_lifespan_growth_rate": float(area.lifespan_growth_rate),
        "neuron_longterm_mem_threshold": area.longterm_mem_threshold,
        "neuron_mp_charge_accumulation": area.mp_charge_accumulation,
        "neuron_mp_driven_psp": area.mp_driven_psp,
        "neuron_plasticity_constant": 0.0,
        "neuron_post_synaptic_potential": area.postsynaptic_current,
        "neuron_post_synaptic_potential_max": area.postsynaptic_current_max,
        "neuron_psp_uniform_distribution": area.psp_uniform_distribution,
        "neuron_refractory_period": area.refractory_period,
        "neuron_snooze_period": area.snooze_length,
        "neurons_per_voxel": area.neurons_per_voxel,
        "outgoing_synapse_count": counts.synapses_out,
        "parent_region_id": region,
        "properties": properties,
        "synapse_count": counts.synapses_out,
        "visible": area.visualization,
        "visualization_voxel_granularity": [1, 1, 1],
    }
    if group is CorticalGroup.MEMORY:
        body["temporal_depth"] = area.temporal_depth
        body["mp_learning_enabled"] = bool(area.mp_learning_enabled)
        properties.update({
            "memory_twin_of": area.memory_twin_of,
            "min_window_activity": area.min_window_activity,
            "per_voxel_neuron_cnt": area.neurons_per_voxel,
            "scan_skip_density": area.scan_skip_density,
            "snooze_length": area.snooze_length,
            "temporal_depth": area.temporal_depth,
        })
    if group in (CorticalGroup.IPU, CorticalGroup.OPU):
        raw = ids.to_api(cortical_id)
        body["cortical_subtype"] = _subtype(raw)
        body["group_id"] = 0
        body["unit_id"] = 0
        body["subunit_id"] = _subunit(raw)
    return body


def _subtype(api_id: str) -> str:
    return base64.b64decode(api_id)[:4].decode("ascii", "replace")


def _subunit(api_id: str) -> int:
    raw = base64.b64decode(api_id)
    return raw[4] >> 4 if raw[:4] == b"isvi" else 0


def fire_queue(brain: Brain, ids: CorticalIdMap) -> dict[str, Any]:
    """``GET /v1/burst_engine/fire_queue``: what fired in the latest burst."""
    fired = brain.fired_by_area()
    return {
        "total_fired": sum(fired.values()),
        "cortical_areas": {ids.to_api(cid): count for cid, count in fired.items()},
        "timestep": brain.burst_count,
    }


def connectome_stats(brain: Brain) -> dict[str, Any]:
    """``GET /v1/connectome/stats``."""
    counts = brain.counts()
    return {
        "neuron_count": counts.neurons_outside_core,
        "cortical_area_count": counts.cortical_areas,
    }


def neuron_properties(brain: Brain, neuron_id: int) -> dict[str, Any]:
    """``GET /v1/connectome/neuron_properties?neuron_id=N`` (raises ``UnknownNeuronError``)."""
    info = brain.connectome.neuron(neuron_id)
    area = info.area
    potential = float(brain.engine.membrane_potential()[neuron_id])
    x, y, z = info.voxel
    return {
        "neuron_id": neuron_id,
        "cortical_area": info.area_index,
        "x": x,
        "y": y,
        "z": z,
        "neuron_type": 0,
        "threshold": info.firing_threshold,
        "threshold_limit": area.firing_threshold_limit or _F32_MAX,
        "leak_coefficient": area.leak_coefficient,
        "refractory_period": area.refractory_period,
        "snooze_period": area.snooze_length,
        "consecutive_fire_limit": area.consecutive_fire_cnt_max or _U16_MAX,
        "excitability": area.neuron_excitability,
        "psp_uniform_distribution": area.psp_uniform_distribution,
        "mp_charge_accumulation": area.mp_charge_accumulation,
        "mp_driven_psp": area.mp_driven_psp,
        "resting_potential": 0.0,
        "membrane_potential": potential,
        "consecutive_fire_count": 0,
        "refractory_countdown": 0,
    }


def efferents(brain: Brain, cortical_id: str, ids: CorticalIdMap) -> list[str]:
    """Areas ``cortical_id`` maps to (Python FEAGI's ``cortical_mapping/efferents``)."""
    area = brain.connectome.area(cortical_id)
    return [ids.to_api(dst) for dst, rules in area.mappings.items() if rules]


def afferents(brain: Brain, cortical_id: str, ids: CorticalIdMap) -> list[str]:
    """Areas that map to ``cortical_id`` (Python FEAGI's ``cortical_mapping/afferents``)."""
    connectome = brain.connectome
    connectome.area(cortical_id)
    return [ids.to_api(src) for src, dst in connectome.mappings if dst == cortical_id]


def genome_document(brain: Brain) -> dict[str, Any]:
    """``GET /v1/genome/download``: the current genome, brain regions always included.

    The engine always writes ``brain_regions``; for a genome that had none, ours are the
    regions development created (the root holds every area of the genome).
    """
    genome = brain.genome
    if genome.brain_regions is None:
        known = set(genome.areas)
        regions = {
            rid: dataclasses.replace(region, areas=tuple(a for a in region.areas if a in known))
            for rid, region in brain.connectome.regions.items()
        }
        genome = dataclasses.replace(genome, brain_regions=regions)
    document = genome_to_dict(genome)
    document["brain_regions_root"] = brain.connectome.root_region_id
    return document
