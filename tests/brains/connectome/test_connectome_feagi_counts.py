"""Developed counts equal the FEAGI engine's, genome by genome, area by area, mapping by mapping."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from connectome_expected import ALL, GENOMES, PIONEER2, SALAMANDER, Expected

from brains.connectome import Connectome, develop, to_network_spec
from brains.genome import load_genome


@functools.cache
def _developed(file: str) -> Connectome:
    return develop(load_genome((GENOMES / file).read_bytes()))


def _ids(cases: tuple[Expected, ...]) -> list[str]:
    return [c.file.removesuffix(".json") for c in cases]


@pytest.mark.parametrize("expected", ALL, ids=_ids(ALL))
def test_totals_equal_the_engines(expected: Expected) -> None:
    counts = _developed(expected.file).counts()
    assert counts.cortical_areas == expected.cortical_areas
    assert counts.neurons == expected.neurons_log
    assert counts.neurons_outside_core == expected.neurons_health_check
    assert counts.synapses == expected.synapses


@pytest.mark.parametrize("expected", ALL, ids=_ids(ALL))
def test_every_area_has_the_engines_name_group_size_and_counts(expected: Expected) -> None:
    connectome = _developed(expected.file)
    counts = connectome.counts()
    assert set(connectome.area_ids) == {a.cortical_id for a in expected.areas}
    for row in expected.areas:
        area = connectome.area(row.cortical_id)
        assert (area.name, str(area.group), tuple(area.dimensions), area.neurons_per_voxel) == (
            row.name, row.group, row.dims, row.npv), row.cortical_id
        got = counts.areas[row.cortical_id]
        assert (got.neurons, got.synapses_in, got.synapses_out) == (
            row.neurons, row.synapses_in, row.synapses_out), row.cortical_id
        assert len(connectome.neurons_in_area(row.cortical_id)) == row.neurons


@pytest.mark.parametrize("expected", ALL, ids=_ids(ALL))
def test_every_mapping_has_the_engines_synapses_psp_and_weight(expected: Expected) -> None:
    connectome = _developed(expected.file)
    counts = connectome.counts()
    assert set(counts.mappings) == {(m.source, m.destination) for m in expected.mappings}
    for row in expected.mappings:
        assert counts.mappings[(row.source, row.destination)] == row.synapses
        if row.morphologies:
            rules = connectome.mapping(row.source, row.destination)
            assert tuple(r.morphology_id for r in rules) == row.morphologies
        block = connectome.mapping_synapses(row.source, row.destination)
        # Every engine synapse has this weight; where we merged k engine synapses into one,
        # ours weighs k times as much, so the total drive is the engine's.
        assert block.weight.min() == row.weight
        assert float(block.weight.sum()) == row.weight * sum(block.rule_counts)
        source_psp = connectome.area(row.source).postsynaptic_current
        assert source_psp == row.psp


@pytest.mark.parametrize("expected", ALL, ids=_ids(ALL))
def test_network_spec_carries_every_neuron_and_synapse(expected: Expected) -> None:
    spec = to_network_spec(_developed(expected.file))
    assert spec.neuron_count == expected.neurons_log
    assert spec.synapse_count == expected.synapses
    assert len(spec.areas.cortical_id) == expected.cortical_areas


@pytest.mark.parametrize("expected", [PIONEER2, SALAMANDER], ids=["pioneer2", "salamander"])
def test_each_morphology_alone_gives_the_engines_count(expected: Expected) -> None:
    connectome = _developed(expected.file)
    for (source, destination), per_rule in expected.per_rule.items():
        assert connectome.mapping_synapses(source, destination).rule_counts == per_rule


def test_pioneer2_identical_morphologies_give_one_synapse_with_summed_psc() -> None:
    connectome = _developed(PIONEER2.file)
    block = connectome.mapping_synapses("i__pro", "o__mot")
    assert sum(block.rule_counts) == PIONEER2.synapses_feagi == 112
    assert block.count == 110
    assert sorted(block.weight.tolist()).count(2.0) == 2  # (7,0,2) -> (0,0,9) and (3,0,9)
    # The engine fires (0,0,9) at membrane potential 55 when every sensor neuron fires.
    (target,) = connectome.neurons_at_voxel("o__mot", 0, 0, 9)
    incoming = connectome.synapses_in(int(target))
    assert float(np.sum(incoming.weight * incoming.psp)) == 55.0


def test_salamander_plastic_rules_without_window_get_window_one() -> None:
    connectome = _developed(SALAMANDER.file)
    groups = connectome.synapse_groups
    assert len(groups) == 6
    assert all(g.rule.plasticity_flag and g.rule.plasticity_window is None for g in groups)
    assert all(g.plasticity_window == 1 for g in groups)
    spec = to_network_spec(connectome)
    assert spec.groups.plastic.all()
    assert spec.groups.plasticity_window.tolist() == [1] * 6


def test_genome_regions_are_kept_and_added_core_areas_join_the_root() -> None:
    connectome = _developed(PIONEER2.file)
    root = connectome.region(connectome.root_region_id or "")
    assert root.title == "Genome's root brain region"
    assert root.areas[:5] == ("___pwr", "_death", "i_spos", "i__pro", "o__mot")
    assert connectome.region_of_area("___hope_") == connectome.root_region_id
