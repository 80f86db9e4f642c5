"""Loading FEAGI's real genomes and the typed model they produce."""

from __future__ import annotations

import json

import pytest
from genome_builders import (
    REAL_GENOME_FILES,
    area_genes,
    genome_doc,
    real_genome_path,
    two_area_doc,
)

from brains.genome import (
    CorticalGroup,
    Genome,
    MappingRule,
    MorphologyType,
    PatternKind,
    Vec3,
    load_genome,
    resolve_morphology,
)


def load_real(name: str) -> Genome:
    return load_genome(real_genome_path(name).read_bytes())


@pytest.mark.parametrize("name", REAL_GENOME_FILES)
def test_every_real_genome_loads(name: str) -> None:
    genome = load_real(name)
    document = json.loads(real_genome_path(name).read_bytes())
    ids = {key.split("-")[1] for key in document["blueprint"]}
    assert set(genome.areas) == ids
    assert set(genome.morphologies) == set(document["neuron_morphologies"])


@pytest.mark.parametrize(
    ("name", "neurons"),
    [
        ("feagi_barebones_genome.json", 2),
        ("feagi_essential_genome.json", 13845),
        ("community_webots_pioneer2_basic_genome.json", 223),
    ],
)
def test_neuron_capacity_matches_the_genome_stats(name: str, neurons: int) -> None:
    assert load_real(name).innate_neuron_count == neurons


def test_loading_accepts_bytes_text_and_a_decoded_dict_alike() -> None:
    raw = real_genome_path("feagi_essential_genome.json").read_bytes()
    assert load_genome(raw) == load_genome(raw.decode()) == load_genome(json.loads(raw))


def test_area_genes_are_typed_with_the_genomes_own_ids() -> None:
    genome = load_real("feagi_core_essential_genome_v2_1.json")
    power = genome.areas["_power"]
    assert power.group is CorticalGroup.CORE
    motor = genome.areas["omot00"]
    assert motor.group is CorticalGroup.OPU
    assert isinstance(motor.dimensions, Vec3)
    assert motor.neuron_capacity == motor.dimensions.x * motor.dimensions.y * (
        motor.dimensions.z * motor.neurons_per_voxel
    )
    assert isinstance(motor.postsynaptic_current, float)


def test_version_2_1_reads_integer_snooze_genes_and_simulation_timestep() -> None:
    genome = load_real("feagi_core_essential_genome_v2_1.json")
    assert genome.version == "2.1"
    assert genome.physiology.simulation_timestep == pytest.approx(1 / 15)
    assert genome.physiology.quantization_precision == "f16"
    assert "sleep" in genome.physiology.extra
    assert all(isinstance(area.snooze_length, int) for area in genome.areas.values())


def test_version_2_0_reads_burst_delay_as_the_timestep() -> None:
    genome = load_real("feagi_barebones_genome.json")
    assert genome.physiology.simulation_timestep == 0.025
    assert genome.physiology.burst_frequency_hz == pytest.approx(40.0)


def test_seven_element_rules_become_typed_rules_without_a_window() -> None:
    genome = load_real("feagi_core_essential_genome_v2_1.json")
    rules = genome.areas["c__for"].mappings["cRSMot"]
    assert rules == (
        MappingRule("projector", Vec3(1, 1, 1), 1.0, False, 1.0, 1.0, 1.0, None, None),
    )


def test_plastic_rules_keep_their_flag_and_constants() -> None:
    genome = load_real("community_webots_salamander_avoidwalls_plasticity_genome.json")
    plastic = [
        rule
        for area in genome.areas.values()
        for rules in area.mappings.values()
        for rule in rules
        if rule.plasticity_flag
    ]
    assert plastic
    assert all(rule.plasticity_window is None for rule in plastic)


def test_four_element_rules_default_the_plasticity_constants_to_one() -> None:
    genome = load_genome(two_area_doc())
    (rule,) = genome.areas["src___"].mappings["dst___"]
    assert (rule.plasticity_constant, rule.ltp_multiplier, rule.ltd_multiplier) == (1, 1, 1)
    assert rule.plasticity_window is None


def test_pattern_morphologies_are_parsed_per_axis() -> None:
    genome = load_real("community_webots_pioneer2_basic_genome.json")
    consolidator = genome.morphologies["y_consolidator"]
    assert consolidator.type is MorphologyType.PATTERNS
    (pair,) = consolidator.patterns
    assert [e.kind for e in pair.source] == [PatternKind.ANY] * 3
    assert [e.kind for e in pair.destination] == [
        PatternKind.ANY,
        PatternKind.SAME,
        PatternKind.ANY,
    ]
    assert consolidator.parameters == {"patterns": [[["*", "*", "*"], ["*", "?", "*"]]]}


def test_composite_morphologies_expose_seed_pattern_and_mapper() -> None:
    genome = load_real("community_webots_pioneer2_basic_genome.json")
    tile = genome.morphologies["tile"]
    assert tile.type is MorphologyType.COMPOSITE
    assert tile.composite is not None
    assert tile.composite.src_seed == (16, 16, 1)
    assert tile.composite.mapper_morphology == "projector"
    assert tile.morphology_class == "core"


def test_brain_regions_are_loaded_when_present() -> None:
    genome = load_real("community_webots_pioneer2_basic_genome.json")
    assert genome.brain_regions is not None
    root = genome.brain_regions["root"]
    assert root.parent_region_id is None
    assert set(root.areas) == set(genome.areas)
    assert load_real("feagi_barebones_genome.json").brain_regions is None


def test_metadata_is_kept() -> None:
    genome = load_real("feagi_barebones_genome.json")
    assert genome.title == "The Barebones Genome"
    assert genome.genome_id == "2022-07-10_21:53:10_961677_111111_G"
    assert genome.timestamp == pytest.approx(1712971071.904253)
    assert genome.signatures is not None and genome.signatures["genome"] == "d56d9bbc7a5e236d"


def test_rules_may_use_built_in_morphologies_the_genome_does_not_define() -> None:
    document = two_area_doc()
    document["neuron_morphologies"] = {}
    genome = load_genome(document)
    morphology = resolve_morphology(genome, "projector")
    assert morphology.type is MorphologyType.FUNCTIONS
    assert morphology.morphology_class == "core"


def test_the_genomes_own_morphology_wins_over_the_built_in_one() -> None:
    document = two_area_doc()
    document["neuron_morphologies"]["block_to_block"] = {
        "parameters": {"vectors": [[1, 0, 0]]},
        "type": "vectors",
        "class": "custom",
    }
    genome = load_genome(document)
    assert resolve_morphology(genome, "block_to_block").vectors == (Vec3(1, 0, 0),)


def test_a_hierarchical_blueprint_loads_like_its_flat_form() -> None:
    flat = load_genome(two_area_doc())
    document = two_area_doc()
    document["blueprint"] = {
        "src___": {
            "cortical_name": "area src___",
            "group_id": "CUSTOM",
            "block_boundaries": [2, 2, 1],
            "cortical_mapping_dst": {"dst___": [["projector", [1, 1, 1], 1, False]]},
            "psp_uniform_distribution": False,
            "postsynaptic_current_max": 35,
            "2d_coordinate": [0, 0],
        },
        "dst___": {
            "cortical_name": "area dst___",
            "cortical_group": "CUSTOM",
            "block_boundaries": [2, 2, 1],
            "neurons_per_voxel": 1,
            "psp_uniform_distribution": False,
            "postsynaptic_current_max": 35,
        },
    }
    assert load_genome(document) == flat


def test_dict_rules_carry_window_and_attractivity() -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-src___-cx-dstmap-d"] = {
        "dst___": [
            {
                "morphology_id": "projector",
                "morphology_scalar": [1, 1, 1],
                "postSynapticCurrent_multiplier": -2,
                "plasticity_flag": True,
                "plasticity_window": 5,
                "synapse_attractivity": 40,
            }
        ]
    }
    (rule,) = load_genome(document).areas["src___"].mappings["dst___"]
    assert rule.psc_multiplier == -2
    assert rule.plasticity_window == 5
    assert rule.synapse_attractivity == 40
    assert rule.plasticity_constant == 1


def test_eight_element_rules_carry_the_plasticity_window() -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-src___-cx-dstmap-d"] = {
        "dst___": [["projector", [1, 1, 1], 1, True, 2, 3, 4, 6]]
    }
    (rule,) = load_genome(document).areas["src___"].mappings["dst___"]
    assert (rule.plasticity_constant, rule.ltp_multiplier, rule.ltd_multiplier) == (2, 3, 4)
    assert rule.plasticity_window == 6


def test_unknown_top_level_physiology_morphology_and_region_keys_are_kept() -> None:
    document = two_area_doc()
    document["custom_tool_state"] = {"zoom": 3}
    document["physiology"]["future_knob"] = [1, 2]
    document["neuron_morphologies"]["projector"]["morphology_name"] = "projector"
    document["brain_regions"] = {
        "root": {"title": "root", "parent_region_id": None, "areas": ["src___"], "signature": "x"}
    }
    genome = load_genome(document)
    assert genome.extra == {"custom_tool_state": {"zoom": 3}}
    assert genome.physiology.extra == {"future_knob": [1, 2]}
    assert genome.morphologies["projector"].extra == {"morphology_name": "projector"}
    assert genome.brain_regions is not None
    assert genome.brain_regions["root"].extra == {"signature": "x"}


def test_blueprint_comment_keys_are_kept_apart_from_genes() -> None:
    document = two_area_doc()
    document["blueprint"]["/ note"] = "hand tuned"
    genome = load_genome(document)
    assert genome.blueprint_comments == {"/ note": "hand tuned"}
    assert set(genome.areas) == {"src___", "dst___"}


@pytest.mark.parametrize(
    ("cortical_id", "group"),
    [
        ("___pwr", CorticalGroup.CORE),
        ("i__inf", CorticalGroup.IPU),
        ("omot00", CorticalGroup.OPU),
        ("c__for", CorticalGroup.CUSTOM),
    ],
)
def test_a_missing_group_is_inferred_from_the_cortical_id(
    cortical_id: str, group: CorticalGroup
) -> None:
    genes = area_genes(cortical_id)
    del genes[f"_____10c-{cortical_id}-cx-_group-t"]
    assert load_genome(genome_doc(genes)).areas[cortical_id].group is group


def test_memory_areas_have_no_innate_neurons() -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-dst___-cx-subgrp-t"] = "MEMORY"
    area = load_genome(document).areas["dst___"]
    assert area.is_memory
    assert area.innate_neuron_count == 0
    assert area.neuron_capacity == 4


def test_nine_element_rules_carry_the_synaptic_delay() -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-src___-cx-dstmap-d"] = {
        "dst___": [["projector", [1, 1, 1], 1, False, 1, 1, 1, 0, 3]]
    }
    (rule,) = load_genome(document).areas["src___"].mappings["dst___"]
    assert (rule.plasticity_window, rule.synaptic_delay_bursts) == (0, 3)


def test_a_single_integer_scalar_scales_every_axis() -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-src___-cx-dstmap-d"] = {
        "dst___": [["block_to_block", 2, 1, False]]
    }
    (rule,) = load_genome(document).areas["src___"].mappings["dst___"]
    assert rule.morphology_scalar == Vec3(2, 2, 2)


def test_feagi_core_memory_and_homeostasis_genes_are_read() -> None:
    document = two_area_doc()
    blueprint = document["blueprint"]
    blueprint["_____10c-dst___-cx-hmlk-d"] = {"enabled": True, "gain": 0.5}
    blueprint["_____10c-dst___-cx-mplrn-b"] = True
    blueprint["_____10c-dst___-cx-mnwin-i"] = 4
    blueprint["_____10c-dst___-cx-scnsk-f"] = 0.25
    area = load_genome(document).areas["dst___"]
    assert area.rate_modulated_leak == {"enabled": True, "gain": 0.5}
    assert area.mp_learning_enabled is True
    assert area.min_window_activity == 4
    assert area.scan_skip_density == 0.25


@pytest.mark.parametrize(("cortical_id", "uniform"), [("_power", True), ("c__for", False)])
def test_psp_uniform_distribution_defaults_like_feagi_core(cortical_id: str, uniform: bool) -> None:
    genes = area_genes(cortical_id)
    del genes[f"_____10c-{cortical_id}-cx-pspuni-b"]
    area = load_genome(genome_doc(genes)).areas[cortical_id]
    assert area.psp_uniform_distribution is uniform


def test_a_property_and_its_feagi_core_alias_may_agree() -> None:
    document = two_area_doc()
    document["blueprint"] = {
        "src___": {"block_boundaries": [1, 1, 1], "group_id": "IPU", "cortical_group": "IPU"}
    }
    assert load_genome(document).areas["src___"].group is CorticalGroup.IPU
