"""load -> save -> load is the identity on the model (real genomes and generated ones)."""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from genome_builders import REAL_GENOME_FILES, area_genes, genome_doc, real_genome_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brains.genome import (
    FUNCTION_MORPHOLOGIES,
    GenomeValidationError,
    dumps_genome,
    genome_to_dict,
    load_genome,
)

ID_ALPHABET = string.ascii_letters + string.digits + "_"
cortical_ids = st.text(ID_ALPHABET, min_size=6, max_size=6)
small_ints = st.integers(min_value=-5, max_value=5)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
non_negative = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
pattern_elements = st.one_of(
    st.integers(min_value=0, max_value=9),
    st.sampled_from(
        ["*", "?", "!", "?+", "?-", "?+=", "?-=", "?+2", "?-1", "?-1:?+1", "2..5", "3"]
    ),
)
pattern_sides = st.lists(pattern_elements, min_size=3, max_size=3)


@st.composite
def morphologies(draw: st.DrawFn) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(FUNCTION_MORPHOLOGIES)), max_size=3)):
        table[name] = {"parameters": {}, "type": "functions", "class": "core"}
    for index in range(draw(st.integers(0, 2))):
        vectors = draw(st.lists(st.lists(small_ints, min_size=3, max_size=3), max_size=4))
        table[f"vec{index}"] = {
            "parameters": {"vectors": vectors},
            "type": "vectors",
            "class": "custom",
        }
    for index in range(draw(st.integers(0, 2))):
        patterns = draw(st.lists(st.lists(pattern_sides, min_size=2, max_size=2), max_size=3))
        body: dict[str, Any] = {"type": "patterns", "parameters": {"patterns": patterns}}
        if draw(st.booleans()):
            body["morphology_name"] = f"pat{index}"
        table[f"pat{index}"] = body
    if draw(st.booleans()):
        table["tile"] = {
            "parameters": {
                "src_seed": draw(st.lists(st.integers(1, 8), min_size=3, max_size=3)),
                "src_pattern": draw(
                    st.lists(
                        st.lists(st.integers(0, 3), min_size=2, max_size=2), min_size=3, max_size=3
                    )
                ),
                "mapper_morphology": "projector",
            },
            "type": "composite",
            "class": "core",
        }
    return table


@st.composite
def rules(draw: st.DrawFn, morphology_ids: list[str]) -> Any:
    head = [
        draw(st.sampled_from(morphology_ids)),
        draw(st.lists(small_ints, min_size=3, max_size=3)),
        draw(finite),
        draw(st.booleans()),
    ]
    tail = [draw(finite), draw(finite), draw(finite)]
    form = draw(st.sampled_from(["4", "7", "8", "9", "dict"]))
    if form == "4":
        return head
    if form == "7":
        return head + tail
    window = draw(st.integers(0, 50))
    delay = draw(st.integers(1, 5))
    if form == "8":
        return [*head, *tail, window]
    if form == "9":
        return [*head, *tail, window, delay]
    keys = [
        "morphology_id",
        "morphology_scalar",
        "postSynapticCurrent_multiplier",
        "plasticity_flag",
        "plasticity_constant",
        "ltp_multiplier",
        "ltd_multiplier",
    ]
    as_dict = dict(zip(keys, head + tail, strict=True))
    if draw(st.booleans()):
        as_dict["plasticity_window"] = window
    if draw(st.booleans()):
        as_dict["synaptic_delay_bursts"] = delay
    if draw(st.booleans()):
        as_dict["synapse_attractivity"] = draw(st.floats(0, 100))
    return as_dict


@st.composite
def genome_documents(draw: st.DrawFn) -> dict[str, Any]:
    ids = draw(st.lists(cortical_ids, min_size=1, max_size=5, unique=True))
    table = draw(morphologies())
    morphology_ids = sorted(set(table) | {"projector", "block_to_block", "all_to_all"})
    areas = []
    for cortical_id in ids:
        dstmap = {
            destination: draw(st.lists(rules(morphology_ids), min_size=1, max_size=3))
            for destination in draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
        }
        genes = area_genes(
            cortical_id,
            group=draw(st.sampled_from(["IPU", "OPU", "CORE", "CUSTOM", "MEMORY"])),
            dims=(draw(st.integers(1, 9)), draw(st.integers(1, 9)), draw(st.integers(1, 9))),
            dstmap=dstmap,
        )
        prefix = f"_____10c-{cortical_id}-"
        genes[prefix + "cx-_n_cnt-i"] = draw(st.integers(1, 4))
        genes[prefix + "nx-fire_t-f"] = draw(finite)
        genes[prefix + "nx-leak_c-f"] = draw(non_negative)
        genes[prefix + "nx-ftincy-f"] = draw(finite)
        genes[prefix + "cx-2dcorx-i"] = draw(st.one_of(st.none(), small_ints))
        genes[prefix + "nx-mp_acc-b"] = draw(st.booleans())
        genes[prefix + "cx-synatt-f"] = draw(st.floats(0, 100))
        if draw(st.booleans()):
            genes[prefix + "cx-devcnt-i"] = draw(st.integers(1, 4))
        if draw(st.booleans()):
            genes[prefix + "cx-__rand-b"] = draw(st.booleans())
        if draw(st.booleans()):
            genes[prefix + "cx-hmlk-d"] = {"enabled": draw(st.booleans()), "gain": draw(finite)}
            genes[prefix + "cx-mplrn-b"] = draw(st.booleans())
            genes[prefix + "cx-mnwin-i"] = draw(st.integers(0, 9))
            genes[prefix + "cx-scnsk-f"] = draw(non_negative)
        areas.append(genes)
    version = draw(st.sampled_from(["2.0", "2.1"]))
    document = genome_doc(*areas, morphologies=table, version=version)
    document["physiology"] = {
        "burst_delay" if version == "2.0" else "simulation_timestep": draw(
            st.floats(min_value=1e-4, max_value=10)
        ),
        "plasticity_queue_depth": draw(st.integers(1, 9)),
        "unknown_knob": draw(st.one_of(st.none(), st.integers(), st.text(max_size=5))),
    }
    if draw(st.booleans()):
        document["brain_regions"] = {
            "root": {
                "title": "root",
                "description": None,
                "parent_region_id": None,
                "coordinate_2d": [0, 0],
                "coordinate_3d": [0, 0, 0],
                "areas": ids,
                "regions": [],
                "inputs": [],
                "outputs": [],
            }
        }
    if draw(st.booleans()):
        document["timestamp"] = draw(st.floats(0, 2e9))
    return document


PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@PROPERTY_SETTINGS
@given(genome_documents(), st.sampled_from(["flat", "hierarchical"]))
def test_generated_genomes_survive_save_and_load(document: dict[str, Any], form: str) -> None:
    genome = load_genome(document)
    assert load_genome(dumps_genome(genome, form=form)) == genome  # type: ignore[arg-type]


@PROPERTY_SETTINGS
@given(genome_documents())
def test_saving_a_loaded_genome_is_a_fixed_point(document: dict[str, Any]) -> None:
    saved = genome_to_dict(load_genome(document))
    assert genome_to_dict(load_genome(saved)) == saved


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@PROPERTY_SETTINGS
@given(genome_documents(), st.data())
def test_any_gene_value_either_loads_or_fails_validation(
    document: dict[str, Any], data: st.DataObject
) -> None:
    key = data.draw(st.sampled_from(sorted(document["blueprint"])))
    document["blueprint"][key] = data.draw(json_values)
    try:
        load_genome(json.dumps(document))
    except GenomeValidationError as exc:
        assert exc.errors


@PROPERTY_SETTINGS
@given(genome_documents(), st.data())
def test_any_section_value_either_loads_or_fails_validation(
    document: dict[str, Any], data: st.DataObject
) -> None:
    target = document
    for _ in range(data.draw(st.integers(1, 4))):
        keys = sorted(target) if isinstance(target, dict) else []
        if not keys:
            break
        key = data.draw(st.sampled_from(keys))
        if not isinstance(target[key], dict) or data.draw(st.booleans()):
            target[key] = data.draw(json_values)
            break
        target = target[key]
    try:
        load_genome(json.dumps(document))
    except GenomeValidationError as exc:
        assert exc.errors


@pytest.mark.parametrize("name", REAL_GENOME_FILES)
@pytest.mark.parametrize("form", ["flat", "hierarchical"])
def test_real_genomes_survive_save_and_load(name: str, form: str) -> None:
    genome = load_genome(real_genome_path(name).read_bytes())
    assert load_genome(dumps_genome(genome, form=form)) == genome  # type: ignore[arg-type]


@pytest.mark.parametrize("name", REAL_GENOME_FILES)
def test_saving_keeps_every_gene_of_a_real_genome(name: str) -> None:
    original = json.loads(real_genome_path(name).read_bytes())
    saved = genome_to_dict(load_genome(original))
    assert {k: v for k, v in saved["blueprint"].items() if k in original["blueprint"]} == original[
        "blueprint"
    ]
    assert saved["neuron_morphologies"] == original["neuron_morphologies"]
    assert saved["physiology"] == original["physiology"]
    assert saved.get("brain_regions") == original.get("brain_regions")


def test_saved_files_use_feagi_layout() -> None:
    genome = load_genome(real_genome_path("feagi_barebones_genome.json").read_bytes())
    text = dumps_genome(genome)
    assert text.startswith('{\n   "genome_id"')
    assert '"_____10c-___pwr-nx-snooze-f": 0' in text


def test_version_2_1_saves_integer_snooze_genes_and_simulation_timestep() -> None:
    genome = load_genome(real_genome_path("feagi_core_essential_genome_v2_1.json").read_bytes())
    saved = genome_to_dict(genome)
    assert "_____10c-_power-nx-snooze-i" in saved["blueprint"]
    assert "simulation_timestep" in saved["physiology"]


def test_rules_are_saved_in_the_shortest_faithful_form() -> None:
    document = genome_doc(
        area_genes(
            "src___",
            dstmap={
                "dst___": [
                    ["projector", [1, 1, 1], 1, False],
                    ["projector", [1, 1, 1], 1, True, 2, 1, 1, 4],
                    {"morphology_id": "projector", "synapse_attractivity": 30},
                ]
            },
        ),
        area_genes("dst___"),
    )
    saved = genome_to_dict(load_genome(document))["blueprint"]["_____10c-src___-cx-dstmap-d"]
    assert saved == {
        "dst___": [
            ["projector", [1, 1, 1], 1, False, 1, 1, 1],
            ["projector", [1, 1, 1], 1, True, 2, 1, 1, 4],
            {
                "morphology_id": "projector",
                "morphology_scalar": [1, 1, 1],
                "postSynapticCurrent_multiplier": 1,
                "plasticity_flag": False,
                "plasticity_constant": 1,
                "ltp_multiplier": 1,
                "ltd_multiplier": 1,
                "synapse_attractivity": 30,
            },
        ]
    }


def test_unknown_but_valid_keys_survive_save_and_load() -> None:
    document = genome_doc(area_genes("src___"))
    document["custom_tool_state"] = {"zoom": 3}
    document["physiology"]["future_knob"] = [1, 2]
    document["neuron_morphologies"]["projector"]["morphology_name"] = "projector"
    document["blueprint"]["/ comment"] = "kept"
    document["brain_regions"] = {"root": {"title": "r", "areas": ["src___"], "signature": "abc"}}
    saved = json.loads(dumps_genome(load_genome(document)))
    assert saved["custom_tool_state"] == {"zoom": 3}
    assert saved["physiology"]["future_knob"] == [1, 2]
    assert saved["neuron_morphologies"]["projector"]["morphology_name"] == "projector"
    assert saved["blueprint"]["/ comment"] == "kept"
    assert saved["brain_regions"]["root"]["signature"] == "abc"


def test_location_generation_strings_of_the_hierarchical_form_round_trip() -> None:
    document = genome_doc(area_genes("src___"))
    document["blueprint"] = {
        "src___": {"block_boundaries": [1, 1, 1], "location_generation_type": "random"}
    }
    genome = load_genome(document)
    assert genome.areas["src___"].location_generation_random is True
    flat = genome_to_dict(genome)["blueprint"]
    assert isinstance(flat, dict)
    assert flat["_____10c-src___-cx-__rand-b"] is True


def test_the_model_shares_no_mutable_state_with_the_input_dict() -> None:
    document = genome_doc(area_genes("src___"))
    document["custom_tool_state"] = {"zoom": 3}
    genome = load_genome(document)
    document["custom_tool_state"]["zoom"] = 4
    document["neuron_morphologies"]["block_to_block"]["parameters"]["vectors"].append([1, 1, 1])
    assert genome.extra == {"custom_tool_state": {"zoom": 3}}
    assert genome.morphologies["block_to_block"].parameters == {"vectors": [[0, 0, 0]]}


def test_the_saved_document_shares_no_mutable_state_with_the_model() -> None:
    genome = load_genome(genome_doc(area_genes("src___"), custom_tool_state={"zoom": 3}))
    saved = genome_to_dict(genome)
    saved["custom_tool_state"]["zoom"] = 4
    saved["neuron_morphologies"]["block_to_block"]["parameters"]["vectors"].clear()
    assert genome_to_dict(genome) != saved
    assert genome.extra == {"custom_tool_state": {"zoom": 3}}
