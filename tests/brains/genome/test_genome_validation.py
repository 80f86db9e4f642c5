"""Validation: every error is reported, at once, with the JSON path and the rule broken."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from genome_builders import area_genes, as_bytes, genome_doc, two_area_doc
from hypothesis import given
from hypothesis import strategies as st

from brains.genome import ErrorKind, GenomeError, GenomeValidationError, load_genome
from brains.genome.paths import child

Doc = dict[str, Any]
SRC = "_____10c-src___-"


def errors_of(document: Doc | bytes | str) -> list[GenomeError]:
    with pytest.raises(GenomeValidationError) as caught:
        load_genome(document)
    return caught.value.errors


def blueprint_set(key: str, value: object) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        document["blueprint"][key] = value

    return change


def blueprint_del(key: str) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        del document["blueprint"][key]

    return change


def set_path(*keys: str | int, value: object) -> Callable[[Doc], None]:
    def change(document: Doc) -> None:
        target: Any = document
        for key in keys[:-1]:
            target = target[key]
        target[keys[-1]] = value

    return change


def rule(value: object) -> Callable[[Doc], None]:
    return blueprint_set(SRC + "cx-dstmap-d", {"dst___": [value]})


CASES: list[tuple[str, Callable[[Doc], None], str, ErrorKind]] = [
    (
        "wrong gene type",
        blueprint_set(SRC + "nx-fire_t-f", "high"),
        '$.blueprint["_____10c-src___-nx-fire_t-f"]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "boolean where an integer belongs",
        blueprint_set(SRC + "nx-refrac-i", True),
        '$.blueprint["_____10c-src___-nx-refrac-i"]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "non-positive dimension",
        blueprint_set(SRC + "cx-___bby-i", 0),
        '$.blueprint["_____10c-src___-cx-___bby-i"]',
        ErrorKind.NON_POSITIVE_DIMENSION,
    ),
    (
        "value out of range",
        blueprint_set(SRC + "cx-synatt-f", 150),
        '$.blueprint["_____10c-src___-cx-synatt-f"]',
        ErrorKind.OUT_OF_RANGE,
    ),
    (
        "unknown group",
        blueprint_set(SRC + "cx-_group-t", "SENSOR"),
        '$.blueprint["_____10c-src___-cx-_group-t"]',
        ErrorKind.OUT_OF_RANGE,
    ),
    (
        "unknown gene",
        blueprint_set(SRC + "cx-zzzzzz-i", 1),
        '$.blueprint["_____10c-src___-cx-zzzzzz-i"]',
        ErrorKind.UNKNOWN_GENE,
    ),
    (
        "malformed gene key",
        blueprint_set("_____10c-src___-cx-bbx-i", 1),
        '$.blueprint["_____10c-src___-cx-bbx-i"]',
        ErrorKind.MALFORMED_GENE_KEY,
    ),
    (
        "wrong gene prefix",
        blueprint_set("_____10n-src___-cx-___bbx-i", 1),
        '$.blueprint["_____10n-src___-cx-___bbx-i"]',
        ErrorKind.MALFORMED_GENE_KEY,
    ),
    (
        "wrong type suffix",
        blueprint_set(SRC + "cx-___bbx-f", 2),
        '$.blueprint["_____10c-src___-cx-___bbx-f"]',
        ErrorKind.GENE_TYPE_SUFFIX,
    ),
    (
        "missing dimension gene",
        blueprint_del(SRC + "cx-___bbz-i"),
        '$.blueprint["_____10c-src___-cx-___bbz-i"]',
        ErrorKind.MISSING_GENE,
    ),
    (
        "gene given twice",
        blueprint_set(SRC + "nx-snooze-i", 3),
        '$.blueprint["_____10c-src___-nx-snooze-i"]',
        ErrorKind.CONFLICTING_GENES,
    ),
    (
        "invalid cortical id",
        blueprint_set("_____10c-sr$___-cx-___bbx-i", 1),
        '$.blueprint["_____10c-sr$___-cx-___bbx-i"]',
        ErrorKind.INVALID_CORTICAL_ID,
    ),
    (
        "hierarchical area inside a flat blueprint",
        blueprint_set("extra_", {"block_boundaries": [1, 1, 1]}),
        "$.blueprint.extra_",
        ErrorKind.MIXED_BLUEPRINT,
    ),
    (
        "mapping to a missing area",
        blueprint_set(SRC + "cx-dstmap-d", {"nope__": [["projector", [1, 1, 1], 1, False]]}),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].nope__',
        ErrorKind.MISSING_AREA,
    ),
    (
        "unknown morphology",
        rule(["teleport", [1, 1, 1], 1, False]),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0]',
        ErrorKind.UNKNOWN_MORPHOLOGY,
    ),
    (
        "bad rule arity",
        rule(["projector", [1, 1, 1], 1, False, 1]),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0]',
        ErrorKind.BAD_RULE_ARITY,
    ),
    (
        "rule scalar that is not 3 integers",
        rule(["projector", [1, "x", 1], 1, False]),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0][1]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "rule that is neither list nor object",
        rule("projector"),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "unknown key in a dict rule",
        rule({"morphology_id": "projector", "weight": 3}),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0].weight',
        ErrorKind.UNKNOWN_KEY,
    ),
    (
        "dict rule without a morphology",
        rule({"postSynapticCurrent_multiplier": 3}),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0]',
        ErrorKind.MISSING_KEY,
    ),
    (
        "negative plasticity window",
        rule(["projector", [1, 1, 1], 1, True, 1, 1, 1, -1]),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0][7]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "rule with a zero synaptic delay",
        rule(["projector", [1, 1, 1], 1, False, 1, 1, 1, 0, 0]),
        '$.blueprint["_____10c-src___-cx-dstmap-d"].dst___[0][8]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "homeostatic leak that is not an object",
        blueprint_set(SRC + "cx-hmlk-d", [1]),
        '$.blueprint["_____10c-src___-cx-hmlk-d"]',
        ErrorKind.WRONG_TYPE,
    ),
    (
        "unknown morphology type",
        set_path("neuron_morphologies", "spline", value={"type": "spline", "parameters": {}}),
        "$.neuron_morphologies.spline.type",
        ErrorKind.UNKNOWN_MORPHOLOGY_TYPE,
    ),
    (
        "unknown function morphology",
        set_path("neuron_morphologies", "warp", value={"type": "functions", "parameters": {}}),
        "$.neuron_morphologies.warp",
        ErrorKind.UNKNOWN_FUNCTION,
    ),
    (
        "malformed vector",
        set_path(
            "neuron_morphologies",
            "v",
            value={"type": "vectors", "parameters": {"vectors": [[1, 2]]}},
        ),
        "$.neuron_morphologies.v.parameters.vectors[0]",
        ErrorKind.MALFORMED_VECTOR,
    ),
    (
        "malformed pattern element",
        set_path(
            "neuron_morphologies",
            "p",
            value={
                "type": "patterns",
                "parameters": {"patterns": [[["*", "*", "*"], [0, "x", 0]]]},
            },
        ),
        "$.neuron_morphologies.p.parameters.patterns[0][1][1]",
        ErrorKind.MALFORMED_PATTERN,
    ),
    (
        "pattern that is not a pair",
        set_path(
            "neuron_morphologies",
            "p",
            value={"type": "patterns", "parameters": {"patterns": [[["*", "*", "*"]]]}},
        ),
        "$.neuron_morphologies.p.parameters.patterns[0]",
        ErrorKind.MALFORMED_PATTERN,
    ),
    (
        "morphology without parameters",
        set_path("neuron_morphologies", "v", value={"type": "vectors"}),
        "$.neuron_morphologies.v",
        ErrorKind.MISSING_KEY,
    ),
    (
        "composite without a seed",
        set_path(
            "neuron_morphologies",
            "c",
            value={
                "type": "composite",
                "parameters": {
                    "src_pattern": [[1, 0], [1, 0], [1, 0]],
                    "mapper_morphology": "projector",
                },
            },
        ),
        "$.neuron_morphologies.c.parameters.src_seed",
        ErrorKind.MALFORMED_COMPOSITE,
    ),
    (
        "composite with an unknown mapper",
        set_path(
            "neuron_morphologies",
            "c",
            value={
                "type": "composite",
                "parameters": {
                    "src_seed": [2, 2, 1],
                    "src_pattern": [[1, 0], [1, 0], [1, 0]],
                    "mapper_morphology": "nothing",
                },
            },
        ),
        "$.neuron_morphologies.c.parameters.mapper_morphology",
        ErrorKind.UNKNOWN_MORPHOLOGY,
    ),
    (
        "unsupported version",
        set_path("version", value="3.0"),
        "$.version",
        ErrorKind.UNSUPPORTED_VERSION,
    ),
    ("missing version", lambda d: d.pop("version"), "$", ErrorKind.MISSING_KEY),
    ("missing blueprint", lambda d: d.pop("blueprint"), "$", ErrorKind.MISSING_KEY),
    (
        "blueprint that is not an object",
        set_path("blueprint", value=[]),
        "$.blueprint",
        ErrorKind.WRONG_TYPE,
    ),
    (
        "non-positive burst delay",
        set_path("physiology", "burst_delay", value=0),
        "$.physiology.burst_delay",
        ErrorKind.OUT_OF_RANGE,
    ),
    (
        "conflicting timesteps",
        set_path("physiology", "simulation_timestep", value=0.5),
        "$.physiology.burst_delay",
        ErrorKind.CONFLICTING_GENES,
    ),
    (
        "region listing a missing area",
        set_path("brain_regions", value={"root": {"title": "r", "areas": ["gone__"]}}),
        "$.brain_regions.root.areas[0]",
        ErrorKind.MISSING_AREA,
    ),
    (
        "region with a missing parent",
        set_path("brain_regions", value={"r1": {"title": "r", "parent_region_id": "root"}}),
        "$.brain_regions.r1.parent_region_id",
        ErrorKind.MISSING_REGION,
    ),
    (
        "region with a missing child",
        set_path("brain_regions", value={"root": {"title": "r", "regions": ["r9"]}}),
        "$.brain_regions.root.regions[0]",
        ErrorKind.MISSING_REGION,
    ),
]


@pytest.mark.parametrize(
    ("change", "path", "kind"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_error_names_its_path_and_rule(
    change: Callable[[Doc], None], path: str, kind: ErrorKind
) -> None:
    document = two_area_doc()
    change(document)
    errors = errors_of(document)
    assert (path, kind) in [(e.path, e.kind) for e in errors], errors


def test_every_error_kind_has_a_case_here_or_in_the_limit_tests() -> None:
    covered = {case[3] for case in CASES}
    covered |= {ErrorKind.INVALID_JSON, ErrorKind.FILE_TOO_LARGE, ErrorKind.LIMIT_EXCEEDED}
    assert covered == set(ErrorKind)


def test_every_error_is_reported_at_once_in_document_order() -> None:
    document = two_area_doc()
    document["blueprint"][SRC + "cx-___bbx-i"] = -1
    document["blueprint"][SRC + "nx-fire_t-f"] = "high"
    document["blueprint"]["_____10c-dst___-cx-synatt-f"] = 101
    document["version"] = "9"
    paths = [e.path for e in errors_of(document)]
    assert paths == [
        "$.version",
        '$.blueprint["_____10c-src___-cx-___bbx-i"]',
        '$.blueprint["_____10c-src___-nx-fire_t-f"]',
        '$.blueprint["_____10c-dst___-cx-synatt-f"]',
    ]


def test_errors_read_as_path_message_and_rule() -> None:
    document = two_area_doc()
    document["blueprint"][SRC + "cx-___bbx-i"] = 0
    (error,) = errors_of(document)
    assert str(error) == (
        '$.blueprint["_____10c-src___-cx-___bbx-i"]: block_boundaries[0] is 0; it must be >= 1 '
        "[non_positive_dimension]"
    )


def test_invalid_json_is_one_error_at_the_root_with_its_position() -> None:
    (error,) = errors_of(b'{"version": "2.0",\n "blueprint": }')
    assert error.path == "$"
    assert error.kind is ErrorKind.INVALID_JSON
    assert "line 2" in error.message


def test_nan_is_not_accepted_as_a_number() -> None:
    text = as_bytes(two_area_doc()).replace(b'nx-fire_t-f": 1,', b'nx-fire_t-f": NaN,')
    assert b"NaN" in text
    (error,) = errors_of(text)
    assert error.kind is ErrorKind.INVALID_JSON


def test_bytes_that_are_not_utf8_are_rejected() -> None:
    (error,) = errors_of(b'{"version": "\xff"}')
    assert error.kind is ErrorKind.INVALID_JSON


def test_a_genome_that_is_not_an_object_is_rejected() -> None:
    (error,) = errors_of("[1, 2]")
    assert (error.path, error.kind) == ("$", ErrorKind.WRONG_TYPE)


def test_hierarchical_errors_carry_hierarchical_paths() -> None:
    document = genome_doc(area_genes("a_____"))
    document["blueprint"] = {
        "a_____": {"block_boundaries": [1, 0, 1], "firing_thresh": 3},
        "b_____": {"block_boundaries": [1, 1]},
    }
    assert [(e.path, e.kind) for e in errors_of(document)] == [
        ("$.blueprint.a_____.firing_thresh", ErrorKind.UNKNOWN_GENE),
        ("$.blueprint.b_____.block_boundaries", ErrorKind.WRONG_TYPE),
        ("$.blueprint.a_____.block_boundaries[1]", ErrorKind.NON_POSITIVE_DIMENSION),
        ("$.blueprint.b_____.block_boundaries[0]", ErrorKind.MISSING_GENE),
        ("$.blueprint.b_____.block_boundaries[1]", ErrorKind.MISSING_GENE),
        ("$.blueprint.b_____.block_boundaries[2]", ErrorKind.MISSING_GENE),
    ]


def test_the_exception_message_summarises_the_errors() -> None:
    document = two_area_doc()
    document["version"] = 2
    with pytest.raises(GenomeValidationError, match=r"1 genome error: \$\.version"):
        load_genome(document)


def test_a_property_and_its_alias_that_disagree_conflict() -> None:
    document = two_area_doc()
    document["blueprint"] = {
        "src___": {"block_boundaries": [1, 1, 1], "group_id": "IPU", "cortical_group": "OPU"}
    }
    (error,) = errors_of(document)
    assert (error.path, error.kind) == (
        "$.blueprint.src___.cortical_group",
        ErrorKind.CONFLICTING_GENES,
    )


@given(st.text(max_size=12))
def test_paths_quote_keys_exactly_like_json(key: str) -> None:
    path = child("$", key)
    if path.startswith("$."):
        assert path == f"$.{key}" and key.isascii() and (key[0].isalpha() or key[0] == "_")
    else:
        assert path == f"$[{json.dumps(key, ensure_ascii=False)}]"


def test_mapping_errors_are_reported_even_when_the_area_has_other_errors() -> None:
    document = two_area_doc()
    document["blueprint"][SRC + "cx-___bbx-i"] = 0
    document["blueprint"][SRC + "cx-dstmap-d"] = {"gone__": [["projector", [1, 1, 1], 1, False]]}
    kinds = [e.kind for e in errors_of(document)]
    assert kinds == [ErrorKind.NON_POSITIVE_DIMENSION, ErrorKind.MISSING_AREA]


def test_a_rule_naming_a_broken_morphology_is_not_also_called_unknown() -> None:
    document = two_area_doc()
    document["neuron_morphologies"]["bent"] = {"type": "vectors", "parameters": {"vectors": [1]}}
    document["blueprint"][SRC + "cx-dstmap-d"] = {"dst___": [["bent", [1, 1, 1], 1, False]]}
    assert [e.kind for e in errors_of(document)] == [ErrorKind.MALFORMED_VECTOR]
