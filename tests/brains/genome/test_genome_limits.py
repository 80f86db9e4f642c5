"""Configurable limits: rejected with a clear error before anything big is built."""

from __future__ import annotations

import time

import pytest
from genome_builders import area_genes, as_bytes, genome_doc, real_genome_path, two_area_doc

from brains.genome import (
    ErrorKind,
    GenomeLimitError,
    GenomeLimits,
    GenomeValidationError,
    estimate_synapses,
    load_genome,
)


def limit_errors(document: object, limits: GenomeLimits) -> list[str]:
    with pytest.raises(GenomeLimitError) as caught:
        load_genome(document, limits=limits)  # type: ignore[arg-type]
    assert all(
        error.kind in (ErrorKind.LIMIT_EXCEEDED, ErrorKind.FILE_TOO_LARGE)
        for error in caught.value.errors
    )
    return [error.message for error in caught.value.errors]


def test_a_file_over_the_byte_limit_is_rejected_before_it_is_decoded() -> None:
    data = b"{" * 2_000  # not even JSON: the size check comes first
    (message,) = limit_errors(data, GenomeLimits(max_file_bytes=1_000))
    assert message == "genome is 2000 bytes; the limit is 1000 bytes"


def test_text_is_measured_in_utf8_bytes() -> None:
    text = '"' + "é" * 600 + '"'  # 602 characters, 1202 bytes
    (message,) = limit_errors(text, GenomeLimits(max_file_bytes=1_000))
    assert "1202 bytes" in message


def test_text_far_over_the_limit_is_rejected_without_being_encoded() -> None:
    (message,) = limit_errors("x" * 1_500, GenomeLimits(max_file_bytes=1_000))
    assert message == "genome is at least 1500 bytes; the limit is 1000 bytes"


def test_too_many_areas_is_rejected_before_their_genes_are_read() -> None:
    document = genome_doc(*(area_genes(f"a{i:05d}") for i in range(5)))
    document["blueprint"]["_____10c-a00000-nx-fire_t-f"] = "not checked"
    (message,) = limit_errors(document, GenomeLimits(max_areas=4))
    assert message == "genome has 5 cortical areas; the limit is 4"


def test_too_many_neurons_is_rejected_with_the_count() -> None:
    document = genome_doc(area_genes("big___", dims=(100_000, 100_000, 100_000)))
    started = time.perf_counter()
    (message,) = limit_errors(document, GenomeLimits())
    assert time.perf_counter() - started < 1.0
    assert "1000000000000000 neurons" in message
    assert "the limit is 10000000" in message


def test_too_many_synapses_is_rejected_from_the_rule_shapes() -> None:
    document = genome_doc(
        area_genes(
            "src___", dims=(100, 100, 1), dstmap={"dst___": [["all_to_all", [1, 1, 1], 1, False]]}
        ),
        area_genes("dst___", dims=(100, 100, 1)),
    )
    (message,) = limit_errors(document, GenomeLimits(max_synapses=1_000_000))
    assert message == "genome could grow up to 100000000 synapses; the limit is 1000000"


def test_a_genome_within_every_limit_loads() -> None:
    limits = GenomeLimits(
        max_file_bytes=100_000, max_areas=23, max_neurons=13_845, max_synapses=400
    )
    data = real_genome_path("feagi_essential_genome.json").read_bytes()
    assert len(load_genome(data, limits=limits).areas) == 23


def test_limit_errors_are_validation_errors() -> None:
    assert issubclass(GenomeLimitError, GenomeValidationError)


def test_the_synapse_estimate_is_exact_for_projectors() -> None:
    genome = load_genome(real_genome_path("feagi_essential_genome.json").read_bytes())
    assert estimate_synapses(genome) == 400


def test_the_synapse_estimate_counts_pattern_voxel_pairs() -> None:
    morphologies = {
        "col": {
            "type": "patterns",
            "parameters": {"patterns": [[["*", "*", 0], ["?", "*", "1..2"]]]},
        }
    }
    document = genome_doc(
        area_genes("src___", dims=(4, 3, 2), dstmap={"dst___": [["col", [1, 1, 1], 1, False]]}),
        area_genes("dst___", dims=(4, 5, 3)),
        morphologies=morphologies,
    )
    # x: 4 sources reach 1 each, y: 3 sources reach 5 each, z: 1 source reaches 2.
    assert estimate_synapses(load_genome(document)) == 4 * 1 * 3 * 5 * 1 * 2


def test_memory_areas_contribute_no_innate_synapses() -> None:
    document = two_area_doc()
    document["blueprint"]["_____10c-src___-cx-subgrp-t"] = "MEMORY"
    assert estimate_synapses(load_genome(as_bytes(document))) == 0
