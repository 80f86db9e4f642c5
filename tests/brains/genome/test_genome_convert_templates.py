"""Flat <-> hierarchical conversion and the built-in templates."""

from __future__ import annotations

import json

import pytest
from genome_builders import real_genome_path

from brains.genome import (
    TEMPLATE_NAMES,
    GenomeValidationError,
    UnknownTemplateError,
    flat_to_hierarchical,
    hierarchical_to_flat,
    load_genome,
    load_template,
    template_bytes,
)


def test_flat_to_hierarchical_groups_genes_per_area_with_feagi_names() -> None:
    original = json.loads(real_genome_path("feagi_essential_genome.json").read_bytes())
    flat = original["blueprint"]
    blueprint = flat_to_hierarchical(original)["blueprint"]
    assert isinstance(blueprint, dict)
    motor = blueprint["o__mot"]
    assert isinstance(motor, dict)
    assert motor["block_boundaries"] == [flat[f"_____10c-o__mot-cx-___bb{a}-i"] for a in "xyz"]
    assert motor["group_id"] == "OPU"
    assert "per_voxel_neuron_cnt" in motor


def test_hierarchical_rules_are_written_as_lists_like_the_flat_form() -> None:
    document = flat_to_hierarchical(real_genome_path("feagi_essential_genome.json").read_bytes())
    blueprint = document["blueprint"]
    assert isinstance(blueprint, dict)
    source = blueprint["CIHMot"]
    assert isinstance(source, dict)
    assert source["cortical_mapping_dst"] == {
        "o__mot": [["0_0_0-1_0_0", [1, 1, 1], 1, False, 1, 1, 1]]
    }


@pytest.mark.parametrize(
    "name", ["feagi_core_essential_genome_v2_1.json", "community_webots_pioneer2_basic_genome.json"]
)
def test_flat_to_hierarchical_and_back_restores_the_blueprint(name: str) -> None:
    original = json.loads(real_genome_path(name).read_bytes())
    back = hierarchical_to_flat(flat_to_hierarchical(original))
    blueprint = back["blueprint"]
    assert isinstance(blueprint, dict)
    assert {k: v for k, v in blueprint.items() if k in original["blueprint"]} == original[
        "blueprint"
    ]


def test_conversion_validates_its_input() -> None:
    with pytest.raises(GenomeValidationError):
        flat_to_hierarchical({"version": "2.0", "blueprint": {"bad": 1}})


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("barebones", "feagi_barebones_genome.json"),
        ("essential", "feagi_core_essential_genome_v2_1.json"),
    ],
)
def test_templates_are_feagis_own_genomes(name: str, source: str) -> None:
    assert template_bytes(name) == real_genome_path(source).read_bytes()
    assert load_template(name) == load_genome(real_genome_path(source).read_bytes())


def test_template_names_are_listed() -> None:
    assert TEMPLATE_NAMES == ("barebones", "essential")


def test_the_barebones_template_has_power_and_death() -> None:
    assert set(load_template("barebones").areas) == {"___pwr", "_death"}


def test_an_unknown_template_is_a_clear_lookup_error() -> None:
    with pytest.raises(
        UnknownTemplateError, match="no genome template 'huge'; known: barebones, essential"
    ):
        load_template("huge")
    assert issubclass(UnknownTemplateError, LookupError)
