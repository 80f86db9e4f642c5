"""FEAGI's area edits translated to brain edits (no I/O here).

``PUT /v1/cortical_area/cortical_area`` sends FEAGI property names (the keys of
``cortical_area_properties``); :func:`area_changes` maps them to
:class:`~brains.genome.CorticalArea` fields. Keys that only describe the area (counts,
ids, types) are accepted and ignored when unchanged, because FEAGI clients send back
what they read; unknown keys are refused with their names.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any, Final

from app.feagi.errors import FeagiError
from brains.brain import Brain
from brains.genome import Coordinate2D, CorticalArea, CorticalGroup, Vec3, Vec3f

__all__ = ["add_custom_area", "apply_area_changes", "area_changes", "new_custom_id"]

# FEAGI property name -> CorticalArea field.
_FIELDS: Final = {
    "cortical_name": "name",
    "cortical_dimensions": "dimensions",
    "coordinates_3d": "relative_coordinate",
    "cortical_neuron_per_vox_count": "neurons_per_voxel",
    "neurons_per_voxel": "neurons_per_voxel",
    "cortical_visibility": "visualization",
    "visible": "visualization",
    "cortical_synaptic_attractivity": "synapse_attractivity",
    "neuron_post_synaptic_potential": "postsynaptic_current",
    "neuron_post_synaptic_potential_max": "postsynaptic_current_max",
    "neuron_fire_threshold": "firing_threshold",
    "neuron_fire_threshold_increment": "firing_threshold_increment",
    "neuron_firing_threshold_limit": "firing_threshold_limit",
    "neuron_refractory_period": "refractory_period",
    "neuron_leak_coefficient": "leak_coefficient",
    "neuron_leak_variability": "leak_variability",
    "neuron_consecutive_fire_count": "consecutive_fire_cnt_max",
    "neuron_snooze_period": "snooze_length",
    "neuron_degeneracy_coefficient": "degeneration",
    "neuron_psp_uniform_distribution": "psp_uniform_distribution",
    "neuron_mp_charge_accumulation": "mp_charge_accumulation",
    "neuron_mp_driven_psp": "mp_driven_psp",
    "neuron_longterm_mem_threshold": "longterm_mem_threshold",
    "neuron_lifespan_growth_rate": "lifespan_growth_rate",
    "neuron_init_lifespan": "init_lifespan",
    "neuron_excitability": "neuron_excitability",
    "temporal_depth": "temporal_depth",
}
_INCREMENT_AXES: Final = ("neuron_fire_threshold_increment_x", "neuron_fire_threshold_increment_y",
                          "neuron_fire_threshold_increment_z")
_DESCRIPTIVE: Final = frozenset({
    "cortical_id", "cortical_id_s", "cortical_idx", "cortical_type", "cortical_group",
    "area_type", "cortical_subtype", "neuron_count", "incoming_synapse_count",
    "outgoing_synapse_count", "synapse_count", "properties", "neuron_burst_engine_active",
    "neuron_plasticity_constant", "visualization_voxel_granularity", "group_id", "unit_id",
    "subunit_id", "parent_region_id",
})
_ID_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def area_changes(area: CorticalArea, body: Mapping[str, Any],
                 region_id: str | None) -> dict[str, Any]:
    """``CorticalArea`` field changes for a FEAGI PUT body (``cortical_id`` included)."""
    unknown = sorted(k for k in body if k not in _FIELDS and k not in _DESCRIPTIVE
                     and k not in _INCREMENT_AXES and k != "coordinates_2d")
    if unknown:
        raise FeagiError(400, f"unknown cortical area properties {unknown}; changeable ones "
                              f"are {sorted(_FIELDS)} and coordinates_2d")
    moved = body.get("parent_region_id")
    if moved is not None and moved != region_id:
        raise FeagiError(400, "parent_region_id: moving an area to another brain region is "
                              "not supported by this API")
    changes: dict[str, Any] = {}
    for name, value in body.items():
        field = _FIELDS.get(name)
        if field is not None:
            if field in changes and changes[field] != value:
                raise FeagiError(400, f"{name}: conflicts with another property that sets "
                                      f"{field!r} to {changes[field]!r}")
            changes[field] = _integral(getattr(area, field), value)
    axes = [body.get(k) for k in _INCREMENT_AXES]
    if any(v is not None for v in axes):
        current = area.firing_threshold_increment
        changes["firing_threshold_increment"] = [
            current[i] if v is None else v for i, v in enumerate(axes)]
    if "coordinates_2d" in body:
        changes["coordinate_2d"] = _coordinate_2d(body["coordinates_2d"])
    return changes


def _integral(current: object, value: Any) -> Any:
    # The engine shows some integer properties as floats (lifespan growth rate: 1.0);
    # a client sending back what it read must not be refused for that.
    if (isinstance(current, int) and not isinstance(current, bool) and isinstance(value, float)
            and value.is_integer()):
        return int(value)
    return value


def _coordinate_2d(value: Any) -> Coordinate2D:
    if (not isinstance(value, list | tuple) or len(value) != 2
            or any(v is not None and (isinstance(v, bool) or not isinstance(v, int))
                   for v in value)):
        raise FeagiError(400, f"coordinates_2d must be [x, y] integers, got {value!r}")
    return Coordinate2D(value[0], value[1])


def apply_area_changes(brain: Brain, cortical_id: str, changes: Mapping[str, Any]) -> None:
    """Edit the area (re-developing what the change touches); nothing changes on error."""
    if changes:
        brain.update_area(cortical_id, **changes)


def new_custom_id(existing: set[str], *, memory: bool, name: str) -> str:
    """A free 6-character genome id: ``c``/``m``, three characters of the name, two random."""
    prefix = "m" if memory else "c"
    stem = "".join(ch for ch in name if ch.isascii() and ch.isalnum())[:3].ljust(3, "_")
    for _ in range(1000):
        candidate = prefix + stem + "".join(secrets.choice(_ID_ALPHABET) for _ in range(2))
        if candidate not in existing:
            return candidate
    raise FeagiError(409, f"no free cortical id left for areas named like {name!r}")


def add_custom_area(brain: Brain, *, name: str, dimensions: tuple[int, int, int],
                    coordinates: tuple[int, int, int], coordinates_2d: Coordinate2D | None,
                    sub_group: str, memory: bool, region_id: str | None) -> str:
    """Create a custom (or memory) area with the engine's defaults; returns its genome id."""
    cortical_id = new_custom_id(set(brain.connectome.area_ids), memory=memory, name=name)
    area = CorticalArea(
        cortical_id=cortical_id,
        name=name,
        group=CorticalGroup.MEMORY if memory else CorticalGroup.CUSTOM,
        dimensions=Vec3(*dimensions),
        sub_group="MEMORY" if memory else sub_group,
        relative_coordinate=Vec3(*coordinates),
        coordinate_2d=coordinates_2d or Coordinate2D(0, 0),
        is_mem_type=memory,
        firing_threshold_increment=Vec3f(0.0, 0.0, 0.0),
    )
    brain.add_area(area, region_id=region_id)
    return cortical_id
