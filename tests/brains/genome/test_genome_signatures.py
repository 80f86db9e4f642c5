"""Signatures: SHA-256 over serde_json's compact, key-sorted JSON, first 16 hex digits."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest
from genome_builders import real_genome_path

from brains.genome import (
    JsonValue,
    Physiology,
    canonical_json,
    compute_signatures,
    dumps_genome,
    genome_to_dict,
    load_genome,
    load_template,
)
from brains.genome.signatures import ryu_format


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (100.0, "100.0"),
        (0.025, "0.025"),
        (0.06666666666666667, "0.06666666666666667"),
        (-2.5, "-2.5"),
        (0.0, "0.0"),
        (1e-5, "0.00001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (1e16, "1e16"),
        (1e15, "1000000000000000.0"),
        (1.2345e20, "1.2345e20"),
    ],
)
def test_floats_are_written_like_ryu(number: float, text: str) -> None:
    assert ryu_format(number) == text


def test_canonical_json_is_compact_with_sorted_keys_and_raw_unicode() -> None:
    value: JsonValue = {"b": [1, 2.0, None, True], "a": {"z": "é\n", "y": False}}
    assert canonical_json(value) == '{"a":{"y":false,"z":"é\\n"},"b":[1,2.0,null,true]}'


def test_a_signature_is_the_first_16_hex_digits_of_the_sha256() -> None:
    genome = load_template("barebones")
    signatures = compute_signatures(genome)
    physiology = genome_to_dict(genome)["physiology"]
    expected = hashlib.sha256(canonical_json(physiology).encode()).hexdigest()[:16]
    assert signatures["physiology"] == expected
    assert set(signatures) == {"genome", "blueprint", "physiology", "morphologies"}
    assert all(len(s) == 16 for s in signatures.values())


def test_signatures_are_stable_across_save_and_load() -> None:
    genome = load_genome(
        real_genome_path("community_webots_pioneer2_basic_genome.json").read_bytes()
    )
    assert compute_signatures(load_genome(dumps_genome(genome))) == compute_signatures(genome)


def test_changing_physiology_changes_only_the_sections_that_contain_it() -> None:
    genome = load_template("barebones")
    changed = replace(genome, physiology=Physiology(simulation_timestep=0.5))
    before, after = compute_signatures(genome), compute_signatures(changed)
    assert after["physiology"] != before["physiology"]
    assert after["genome"] != before["genome"]
    assert after["blueprint"] == before["blueprint"]
    assert after["morphologies"] == before["morphologies"]


def test_the_stored_signatures_are_not_touched() -> None:
    genome = load_template("barebones")
    compute_signatures(genome)
    assert genome.signatures == {
        "genome": "d56d9bbc7a5e236d",
        "blueprint": "f5dacb3e0fd9b7d2",
        "physiology": "5f1e7f587e1af2c8",
    }
