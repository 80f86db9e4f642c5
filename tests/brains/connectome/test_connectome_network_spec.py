"""``to_network_spec``: the hand-over to the burst engine."""

from __future__ import annotations

import numpy as np
from connectome_builders import area, genome, rule
from connectome_expected import CORE_ESSENTIAL, GENOMES

from brains.connectome import Connectome, develop, to_network_spec
from brains.genome import CorticalGroup, load_genome
from brains.npu import BurstEngine, NetworkSpec


def _spec_brain() -> tuple[Connectome, NetworkSpec]:
    brain = develop(genome(
        area("___pwr", (1, 1, 1), group=CorticalGroup.CORE, leak_coefficient=10.0),
        area("eye", (2, 2, 1), group=CorticalGroup.IPU, neuron_excitability=50.0,
             postsynaptic_current=5.0, mappings={
                 "arm": (rule("projector", psc=-2.0, plasticity_flag=True,
                              plasticity_window=4, plasticity_constant=0.5),
                         rule("all_to_0-0-0")),
             }),
        area("arm", (1, 1, 1), group=CorticalGroup.OPU, consecutive_fire_cnt_max=3,
             firing_threshold_limit=40.0),
        area("mem", (1, 1, 1), sub_group="MEMORY"),
    ))
    return brain, to_network_spec(brain)


def test_area_physiology_is_converted_to_run_time_units() -> None:
    _, spec = _spec_brain()
    areas = spec.areas
    index = {cid: i for i, cid in enumerate(areas.cortical_id)}
    assert areas.excitability[index["eye"]] == np.float32(0.5)
    assert areas.excitability[index["arm"]] == np.float32(1.0)
    assert areas.leak_coefficient[index["___pwr"]] == np.float32(0.1)
    assert areas.consecutive_fire_limit[index["arm"]] == 3
    assert areas.threshold_limit[index["arm"]] == 40.0
    assert areas.is_power.tolist() == [cid == "___pwr" for cid in areas.cortical_id]
    assert areas.is_sensory[index["eye"]] and areas.is_motor[index["arm"]]
    assert areas.is_memory[index["mem"]]
    assert areas.dimensions[index["eye"]].tolist() == [2, 2, 1]


def test_neurons_and_synapses_keep_ids_coordinates_and_signed_weights() -> None:
    brain, spec = _spec_brain()
    neurons = brain.neurons
    assert spec.neuron_xyz.tolist() == np.stack(
        [neurons.x, neurons.y, neurons.z], axis=1).tolist()
    weights = dict(zip(spec.synapse_source.tolist(), spec.synapse_weight.tolist(),
                       strict=True))
    eye = brain.neurons_in_area("eye").tolist()
    # projector (-2) and all_to_0-0-0 (+1) both join every eye neuron to the arm neuron.
    assert weights == dict.fromkeys(eye, -1.0)
    assert set(spec.synapse_psp.tolist()) == {5.0}


def test_groups_carry_each_owning_rules_plasticity() -> None:
    _, spec = _spec_brain()
    groups = spec.groups
    assert groups.plastic.tolist() == [True]  # the second rule owns no pair of its own
    assert groups.plasticity_window.tolist() == [4]
    assert groups.plasticity_constant.tolist() == [0.5]
    assert set(spec.synapse_group.tolist()) == {0}


def test_the_burst_engine_runs_the_core_essential_genome_like_feagi() -> None:
    # feagi-counts.md: stimulate vision_TM; S+1 forward (mp 768 x 5), S+2 the four M*_FW,
    # S+3 motor x = 0, 2, 4, 6; Brain_Power every burst.
    brain = develop(load_genome((GENOMES / CORE_ESSENTIAL.file).read_bytes()))
    engine = BurstEngine(to_network_spec(brain))
    engine.stimulate_area(engine.area_index("iic700"))
    fired = []
    for _ in range(5):
        engine.step()
        fired.append({k: v for k, v in engine.fired_by_cortical_id().items() if v})
    assert fired == [
        {"_power": 1, "iic700": 768},
        {"_power": 1, "c__for": 1},
        {"_power": 1, "cRSMot": 1, "cKQM2_": 1, "cO4M3_": 1, "cTGM4_": 1},
        {"_power": 1, "omot00": 4},
        {"_power": 1},
    ]
