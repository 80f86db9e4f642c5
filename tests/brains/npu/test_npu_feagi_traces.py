"""Dynamics fidelity: real genomes, developed by brains.connectome, replay the FEAGI engine's
burst-by-burst firing traces recorded in shared/reference/feagi-counts.md."""

from __future__ import annotations

import pytest
from shared_data import GENOMES_DIR

from brains.connectome.develop import develop
from brains.connectome.npu_spec import to_network_spec
from brains.genome import load_genome
from brains.npu import BurstEngine

GENOMES = GENOMES_DIR


def _engine(name: str) -> BurstEngine:
    genome = load_genome((GENOMES / name).read_bytes())
    return BurstEngine(to_network_spec(develop(genome)))


def _trace(engine: BurstEngine, area: str, bursts: int) -> list[tuple[dict[str, int], list[float]]]:
    engine.step()
    engine.stimulate_area(engine.area_index(area))
    out = []
    for _ in range(bursts):
        engine.step()
        by_area = engine.fired_by_cortical_id()
        power = [cid for cid in by_area if cid.endswith("pwr") or cid == "_power"]
        for cid in power:  # Brain_Power's phase depends on when the run started
            del by_area[cid]
        potentials = [] if engine.fired_last_burst > 20 else engine.fired_membrane_potentials()
        out.append((by_area, sorted(set(float(p) for p in potentials) - {0.0})))
    return out


def test_essential_genome_vision_tm_drives_forward_then_motors_at_even_x() -> None:
    engine = _engine("feagi_essential_genome.json")
    trace = _trace(engine, "iv00TM", 3)
    assert trace[0] == ({"iv00TM": 192}, [])
    assert trace[1] == ({"m__for": 1}, [960.0])
    assert trace[2] == ({"CRSMot": 1, "CKQM2_": 1, "CO4M3_": 1, "CTGM4_": 1}, [5.0])
    engine.step()
    assert engine.fired_by_cortical_id().get("o__mot") == 4
    frame = engine.motor_output()[engine.area_index("o__mot")]
    assert sorted(x for x, _, _ in frame.xyz.tolist()) == [0, 2, 4, 6]
    engine.step()
    assert set(engine.fired_by_cortical_id()) <= {"___pwr"}


def test_core_essential_v2_1_backward_path_sums_768_times_5() -> None:
    engine = _engine("feagi_core_essential_genome_v2_1.json")
    trace = _trace(engine, "iic100", 4)
    assert trace[0][0] == {"iic100": 768}
    assert trace[1] == ({"c__bac": 1}, [3840.0])
    assert len(trace[2][0]) == 4 and set(trace[2][0].values()) == {1}
    assert trace[3] == ({"omot00": 4}, [1.0])
    frame = engine.motor_output()[engine.area_index("omot00")]
    assert sorted(x for x, _, _ in frame.xyz.tolist()) == [1, 3, 5, 7]


def test_pioneer2_proximity_fires_four_motor_neurons_with_55_and_1() -> None:
    engine = _engine("community_webots_pioneer2_basic_genome.json")
    trace = _trace(engine, "i__pro", 3)
    assert trace[0][0] == {"i__pro": 160}
    assert trace[1] == ({"o__mot": 4}, [1.0, 55.0])
    assert trace[2] == ({}, [])


@pytest.mark.parametrize("name", ["feagi_essential_genome.json", "feagi_barebones_genome.json"])
def test_brain_power_fires_three_bursts_out_of_four_in_40hz_genomes(name: str) -> None:
    engine = _engine(name)
    assert engine.step_n(8, record=8).tolist() == [1, 1, 1, 0, 1, 1, 1, 0]
