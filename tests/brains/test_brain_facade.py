"""The Brain facade keeps genome, connectome and engine consistent through runs and edits."""

from __future__ import annotations

import dataclasses

import pytest

from brains.brain import Brain, BrainSnapshotError, InvalidBrainInputError
from brains.genome import genome_to_dict, load_template
from brains.genome.model import MappingRule

VISION = "iic100"  # an IPU area of the feagi-core essential genome (768 neurons)


@pytest.fixture(scope="module")
def essential() -> Brain:
    return Brain.develop(load_template("essential"))


def fresh() -> Brain:
    return Brain.develop(load_template("essential"))


def test_development_counts_match_the_feagi_engine(essential: Brain) -> None:
    stats = essential.stats()
    assert (stats.cortical_area_count, stats.neuron_count, stats.synapse_count) == (
        30,
        55_363,
        1_552,
    )
    assert stats.burst_count == 0


def test_stimulated_vision_drives_the_motor_chain_one_area_per_burst() -> None:
    brain = fresh()
    brain.stimulate(VISION)
    trace = []
    for _ in range(5):
        brain.step()
        trace.append(brain.fired_by_area())
    assert trace[0] == {"_power": 1, VISION: 768}
    assert trace[1] == {"_power": 1, "c__bac": 1}
    assert sum(trace[2].values()) == 5
    assert trace[3] == {"_power": 1, "omot00": 4}
    assert trace[4] == {"_power": 1}


def test_motor_read_out_reports_the_active_voxels() -> None:
    brain = fresh()
    brain.stimulate(VISION)
    brain.step(4)
    (motor,) = [area for area in brain.motor() if area.cortical_id == "omot00"]
    assert sorted(row[0] for row in motor.voxels) == [1.0, 3.0, 5.0, 7.0]
    assert all(row[3] == 1.0 for row in motor.voxels)


def test_sensory_injection_above_threshold_fires_the_voxel() -> None:
    brain = fresh()
    brain.inject_sensory(VISION, [[0, 0, 0, 1000.0]])
    brain.step()
    assert brain.fired_by_area().get(VISION) == 1


@pytest.mark.parametrize(
    "voxels", [[[0, 0]], [["a", 0, 0, 1]], [[0, 0, 0, float("nan")]], "not rows"]
)
def test_malformed_sensory_rows_are_refused(essential: Brain, voxels: object) -> None:
    with pytest.raises(InvalidBrainInputError):
        essential.inject_sensory(VISION, voxels)  # type: ignore[arg-type]


def test_an_unknown_area_is_refused_by_name(essential: Brain) -> None:
    with pytest.raises(InvalidBrainInputError, match="nope"):
        essential.stimulate("nope")


def test_a_negative_step_count_is_refused(essential: Brain) -> None:
    with pytest.raises(InvalidBrainInputError):
        essential.step(-1)


def test_snapshot_restores_state_and_burst_counter() -> None:
    brain = fresh()
    brain.stimulate(VISION)
    brain.step(2)
    restored = Brain.restore(brain.snapshot())
    assert restored.stats() == brain.stats()
    restored.step()
    brain.step()
    assert restored.fired_by_area() == brain.fired_by_area()


@pytest.mark.parametrize("data", [b"", b"XXXX" + bytes(20), b"BHBS" + bytes(20)])
def test_bytes_that_are_not_a_snapshot_are_refused(data: bytes) -> None:
    with pytest.raises(BrainSnapshotError):
        Brain.restore(data)


def test_genome_round_trips_without_the_engine_core_areas(essential: Brain) -> None:
    original = load_template("essential")
    assert set(essential.genome.areas) == set(original.areas)
    assert genome_to_dict(essential.genome) == genome_to_dict(original)


def test_a_mapping_edit_shows_in_the_genome_and_keeps_the_burst_counter() -> None:
    brain = fresh()
    brain.step(3)
    count = brain.set_mapping(VISION, "c__for", [MappingRule("projector")])
    assert count > 0
    assert brain.burst_count == 3
    assert brain.genome.areas[VISION].mappings["c__for"] == (MappingRule("projector"),)
    assert brain.stats().synapse_count == 1_552 + count


def test_replacing_the_genome_redevelops_and_keeps_counting_bursts() -> None:
    brain = fresh()
    brain.step(5)
    brain.replace_genome(load_template("barebones"))
    assert brain.stats().cortical_area_count == 7
    assert brain.step(2) == 7


def test_a_failed_area_edit_leaves_the_brain_unchanged() -> None:
    brain = fresh()
    before = brain.stats()
    area = brain.connectome.area(VISION)
    with pytest.raises(Exception):  # noqa: B017 - any connectome error; the state is the point
        brain.add_area(dataclasses.replace(area))  # same id: already exists
    assert brain.stats() == before
