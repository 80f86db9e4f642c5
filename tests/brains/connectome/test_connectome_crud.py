"""Editing a developed connectome re-develops only what the edit touches."""

from __future__ import annotations

import numpy as np
import pytest
from connectome_builders import area, genome, rule

from brains.connectome import (
    ROOT_REGION_ID,
    AreaExistsError,
    Connectome,
    DevelopmentLimits,
    InvalidAreaError,
    InvalidMappingError,
    InvalidRegionError,
    LimitExceededError,
    UnknownAreaError,
    UnknownMappingError,
    UnknownMorphologyError,
    UnknownNeuronError,
    UnknownRegionError,
    develop,
)
from brains.genome import CorticalGroup, Vec3, Vec3f


def _brain(**limits: int) -> Connectome:
    """a -> b -> c, and a -> c; d stands alone."""
    return develop(genome(
        area("a", (4, 4, 1), mappings={"b": (rule("projector"),), "c": (rule("all_to_all"),)}),
        area("b", (2, 2, 1), mappings={"c": (rule("projector", psc=-1.0),)},
             postsynaptic_current=3.0),
        area("c", (1, 1, 2)),
        area("d", (3, 1, 1), npv=2),
    ), limits=DevelopmentLimits(**limits))


def _voxel_view(c: Connectome) -> dict[tuple[str, str], set[tuple[int, ...]]]:
    """Each mapping's synapses by (area, voxel, slot) of both ends: independent of ids."""
    neurons = c.neurons
    out: dict[tuple[str, str], set[tuple[int, ...]]] = {}
    for s, t, w in zip(c.synapses.source.tolist(), c.synapses.target.tolist(),
                       c.synapses.weight.tolist(), strict=True):
        key = (c.area_ids[neurons.area[s]], c.area_ids[neurons.area[t]])
        si, ti = c.neuron(s), c.neuron(t)
        out.setdefault(key, set()).add((*si.voxel, si.index_in_voxel, *ti.voxel,
                                        ti.index_in_voxel, w))
    return out


# -- areas ---------------------------------------------------------------------------

def test_resizing_an_area_redevelops_only_its_mappings() -> None:
    brain = _brain()
    before = {key: brain.mapping_synapses(*key) for key in brain.mappings}
    view_before = _voxel_view(brain)
    done = brain.resize_area("b", (4, 4, 1))
    assert done.neurogenesis == ("b",)
    assert set(done.synaptogenesis) == {("a", "b"), ("b", "c")}
    assert brain.mapping_synapses("a", "c") is before[("a", "c")]
    assert _voxel_view(brain)[("a", "c")] == view_before[("a", "c")]
    assert brain.counts().mappings[("a", "b")] == 16
    assert brain.counts().areas["b"].neurons == 16
    assert brain.neuron_count == 16 + 16 + 2 + 6 + 7


def test_neuron_ids_stay_dense_after_a_resize() -> None:
    brain = _brain()
    brain.resize_area("a", (2, 1, 1))
    assert brain.neuron_range("b").start == 2
    assert brain.neurons.area.tolist()[:2] == [0, 0]
    assert len(brain.neurons) == brain.neuron_count
    (target,) = brain.neurons_at_voxel("c", 0, 0, 1)
    assert brain.neuron(int(target)).cortical_id == "c"


def test_property_updates_redevelop_nothing_but_show_in_synapses() -> None:
    brain = _brain()
    before = {key: brain.mapping_synapses(*key) for key in brain.mappings}
    done = brain.update_area("b", postsynaptic_current=7.0, firing_threshold=2.5)
    assert done.neurogenesis == () and done.synaptogenesis == ()
    assert all(brain.mapping_synapses(*key) is block for key, block in before.items())
    out = brain.synapses_out(int(brain.neurons_in_area("b")[0]))
    assert out.psp.tolist() == [7.0, 7.0]  # to both voxels of c
    assert brain.neuron(int(brain.neurons_in_area("b")[0])).firing_threshold == 2.5


def test_attractivity_update_reruns_only_afferent_mappings() -> None:
    brain = _brain()
    done = brain.update_area("c", synapse_attractivity=0.0)
    assert set(done.synaptogenesis) == {("a", "c"), ("b", "c")}
    assert brain.counts().areas["c"].synapses_in == 0
    assert brain.counts().mappings[("a", "b")] == 16


def test_invalid_updates_are_refused_and_change_nothing() -> None:
    brain = _brain()
    with pytest.raises(InvalidAreaError, match="dimensions"):
        brain.resize_area("b", (0, 1, 1))
    with pytest.raises(InvalidAreaError, match="unknown properties"):
        brain.update_area("b", colour="red")
    with pytest.raises(InvalidAreaError, match="set_mapping"):
        brain.update_area("b", mappings={})
    with pytest.raises(InvalidAreaError, match="'synapse_attractivity' must be a number"):
        brain.update_area("b", synapse_attractivity="high")
    with pytest.raises(InvalidAreaError, match="'dimensions' must be three integers"):
        brain.update_area("b", dimensions=(2, 2))
    with pytest.raises(InvalidAreaError, match="'mp_driven_psp' must be true or false"):
        brain.update_area("b", mp_driven_psp=1)
    assert brain.area("b").dimensions == Vec3(2, 2, 1)


def test_updates_are_stored_in_the_fields_types() -> None:
    brain = _brain()
    brain.update_area("b", dimensions=[3, 1, 1], firing_threshold=2, group="OPU")
    area = brain.area("b")
    assert area.dimensions == Vec3(3, 1, 1) and isinstance(area.dimensions, Vec3)
    assert isinstance(area.firing_threshold, float)
    assert area.group is CorticalGroup.OPU


def test_a_mapping_to_a_missing_area_is_refused_at_development() -> None:
    with pytest.raises(InvalidMappingError, match="'ghost'"):
        develop(genome(area("a", (1, 1, 1), mappings={"ghost": (rule("projector"),)})))


def test_unknown_area_error_lists_the_known_ones() -> None:
    brain = _brain()
    with pytest.raises(UnknownAreaError, match=r"'zz' does not exist; known areas: .*'a'|a, b"):
        brain.area("zz")


def test_adding_an_area_develops_its_mappings_and_places_it_in_the_root() -> None:
    brain = _brain()
    done = brain.add_area(area("e", (2, 2, 1), mappings={"b": (rule("block_to_block"),)}))
    assert done == type(done)(("e",), (("e", "b"),))
    assert brain.counts().mappings[("e", "b")] == 4
    assert brain.region_of_area("e") == ROOT_REGION_ID
    with pytest.raises(AreaExistsError):
        brain.add_area(area("e", (1, 1, 1)))


def test_adding_an_area_with_an_undefined_morphology_leaves_the_brain_unchanged() -> None:
    brain = _brain()
    count = brain.neuron_count
    with pytest.raises(UnknownMorphologyError):
        brain.add_area(area("e", (2, 2, 1), mappings={"b": (rule("nope"),)}))
    assert "e" not in brain.areas
    assert brain.neuron_count == count


def test_removing_an_area_removes_its_mappings_and_neurons() -> None:
    brain = _brain()
    brain.remove_area("b")
    assert set(brain.mappings) == {("a", "c")}
    assert "b" not in brain.area("a").mappings
    assert brain.synapse_count == 16 * 2
    assert brain.region_of_area("a") == ROOT_REGION_ID
    assert "b" not in brain.region(ROOT_REGION_ID).areas


def test_core_areas_cannot_be_removed() -> None:
    brain = _brain()
    with pytest.raises(InvalidAreaError, match="core area"):
        brain.remove_area("___power")
    assert "___power" in brain.areas


# -- mappings ------------------------------------------------------------------------

def test_setting_a_mapping_reruns_that_pair_only() -> None:
    brain = _brain()
    before = {key: brain.mapping_synapses(*key) for key in brain.mappings}
    assert brain.set_mapping("a", "b", [rule("projector"), rule("all_to_all")]) == 16 * 4
    for key, block in before.items():
        if key != ("a", "b"):
            assert brain.mapping_synapses(*key) is block
    assert brain.mapping("a", "b")[1].morphology_id == "all_to_all"
    assert brain.area("a").mappings["b"] == brain.mapping("a", "b")


def test_new_mapping_and_deletion() -> None:
    brain = _brain()
    assert brain.set_mapping("d", "d", [rule("lateral_pairs_x")]) == 2 * 2 * 2
    brain.delete_mapping("d", "d")
    assert ("d", "d") not in brain.mappings
    with pytest.raises(UnknownMappingError, match="set_mapping"):
        brain.mapping("d", "d")


def test_a_failing_mapping_update_keeps_the_old_synapses() -> None:
    brain = _brain()
    before = brain.mapping_synapses("a", "b")
    with pytest.raises(UnknownMorphologyError):
        brain.set_mapping("a", "b", [rule("missing")])
    assert brain.mapping_synapses("a", "b") is before
    assert brain.mapping("a", "b") == before.rules


# -- limits --------------------------------------------------------------------------

def test_neuron_limit_is_checked_before_growing() -> None:
    with pytest.raises(LimitExceededError, match="neurons"):
        _brain(max_neurons=20)
    brain = _brain(max_neurons=50)
    with pytest.raises(LimitExceededError, match="neurons"):
        brain.resize_area("d", (10, 10, 10))
    assert brain.area("d").dimensions == Vec3(3, 1, 1)


def test_synapse_limit_is_checked_before_wiring() -> None:
    with pytest.raises(LimitExceededError, match="synapse"):
        _brain(max_synapses=30)
    brain = _brain(max_synapses=60)
    with pytest.raises(LimitExceededError):
        brain.set_mapping("a", "b", [rule("all_to_all")])
    assert brain.counts().mappings[("a", "b")] == 16


def test_area_limit() -> None:
    with pytest.raises(LimitExceededError, match="cortical areas"):
        _brain(max_areas=5)
    brain = _brain(max_areas=11)
    with pytest.raises(LimitExceededError, match="cortical areas"):
        brain.add_area(area("e", (1, 1, 1)))


# -- regions -------------------------------------------------------------------------

def test_regions_hierarchy_edits() -> None:
    brain = _brain()
    brain.add_region("motor", parent_region_id=ROOT_REGION_ID, title="Motor")
    brain.add_region("fine", parent_region_id="motor")
    brain.move_area("c", "fine")
    assert brain.region_of_area("c") == "fine"
    assert brain.region("motor").regions == ("fine",)
    with pytest.raises(InvalidRegionError, match="own ancestor"):
        brain.move_region("motor", "fine")
    brain.update_region("motor", title="Motor cortex")
    assert brain.region("motor").title == "Motor cortex"
    brain.remove_region("fine")
    assert brain.region_of_area("c") == "motor"
    with pytest.raises(InvalidRegionError, match="root"):
        brain.remove_region(ROOT_REGION_ID)
    with pytest.raises(UnknownRegionError):
        brain.region("fine")


def test_genome_without_regions_gets_a_root_holding_every_area() -> None:
    brain = _brain()
    assert brain.root_region_id == ROOT_REGION_ID
    assert set(brain.region(ROOT_REGION_ID).areas) == set(brain.area_ids)


# -- neurons and synapses --------------------------------------------------------------

def test_neuron_properties_and_voxel_lookup() -> None:
    brain = develop(genome(area("t", (2, 3, 4), npv=2, firing_threshold=1.0,
                                firing_threshold_increment=Vec3f(0.5, 0.25, 0.125))))
    ids = brain.neurons_at_voxel("t", 1, 2, 3)
    assert ids.tolist() == [46, 47]
    info = brain.neuron(47)
    assert (info.cortical_id, info.voxel, info.index_in_voxel) == ("t", (1, 2, 3), 1)
    assert info.firing_threshold == 1.0 + 0.5 + 0.5 + 0.375
    n = brain.neurons
    assert (int(n.x[47]), int(n.y[47]), int(n.z[47])) == (1, 2, 3)
    with pytest.raises(UnknownNeuronError, match="outside area"):
        brain.neurons_at_voxel("t", 2, 0, 0)
    with pytest.raises(UnknownNeuronError, match="does not exist"):
        brain.neuron(10_000)


def test_synapses_in_and_out_of_a_neuron() -> None:
    brain = _brain()
    (c0,) = brain.neurons_at_voxel("c", 0, 0, 0)
    incoming = brain.synapses_in(int(c0))
    sources = {brain.neuron(s).cortical_id for s in incoming.source.tolist()}
    assert sources == {"a", "b"} and len(incoming) == 16 + 4  # b projects 2x2 -> 1x1
    assert sorted(set(incoming.weight.tolist())) == [-1.0, 1.0]
    a0 = int(brain.neurons_at_voxel("a", 0, 0, 0)[0])
    assert len(brain.synapses_out(a0)) == 1 + 2


def test_core_group_counts() -> None:
    brain = _brain()
    counts = brain.counts()
    assert counts.cortical_areas == 4 + 7
    assert counts.neurons - counts.neurons_outside_core == 7
    assert all(brain.area(cid).group is CorticalGroup.CORE for cid in brain.area_ids[4:])
    assert np.sum([c.synapses_out for c in counts.areas.values()]) == counts.synapses


def test_turning_an_area_into_memory_removes_its_neurons_and_synapses() -> None:
    brain = _brain()
    done = brain.update_area("c", sub_group="MEMORY")
    assert done.neurogenesis == ("c",)
    assert brain.counts().areas["c"].neurons == 0
    assert brain.counts().areas["c"].synapses_in == 0
    assert brain.update_area("c", group="OPU").synaptogenesis == ()
