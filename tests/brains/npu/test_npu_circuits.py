"""Hand-made circuits, one rule each."""

from __future__ import annotations

import numpy as np
import pytest
from npu_builders import Area, Group, Net, build_spec, chain

from brains.npu import BurstEngine


def _pattern(engine: BurstEngine, bursts: int, feed: list[int] | None = None) -> list[int]:
    """Fired count per burst, injecting 1.0 into ``feed`` neurons before every burst."""
    out = []
    for _ in range(bursts):
        if feed:
            engine.inject_potential(feed, 1.0)
        out.append(engine.step())
    return out


def test_a_chain_advances_one_area_per_burst() -> None:
    engine = BurstEngine(chain(5).spec())
    engine.stimulate_area(0)
    fired = []
    for _ in range(6):
        engine.step()
        fired.append(engine.fired_neurons().tolist())
    assert fired == [[0], [1], [2], [3], [4], []]
    assert engine.synaptic_events == 4


def test_an_inhibitory_synapse_cancels_excitation() -> None:
    areas = [Area("src"), Area("src2"), Area("inh"), Area("dst", threshold=2.0)]
    excite_only = build_spec(areas, [(0, 3, 1, 1, 0), (1, 3, 1, 1, 0)], [Group(0, 3)])
    with_inhibition = build_spec(
        areas, [(0, 3, 1, 1, 0), (1, 3, 1, 1, 0), (2, 3, -1, 1, 0)], [Group(0, 3)]
    )
    results = []
    for spec in (excite_only, with_inhibition):
        engine = BurstEngine(spec)
        engine.stimulate_neurons([0, 1, 2])
        engine.step()
        engine.step()
        results.append(engine.fired_neurons().tolist())
    assert results == [[3], []]


def test_refractory_period_blocks_that_many_bursts_after_a_fire() -> None:
    engine = BurstEngine(Net([Area("n", refractory=2)]).spec())
    assert _pattern(engine, 9, feed=[0]) == [1, 0, 0, 1, 0, 0, 1, 0, 0]


def test_refractory_period_one_prevents_firing_in_consecutive_bursts() -> None:
    engine = BurstEngine(Net([Area("n", refractory=1)]).spec())
    assert _pattern(engine, 6, feed=[0]) == [1, 0, 1, 0, 1, 0]


def test_refractory_countdown_runs_while_the_neuron_gets_no_input() -> None:
    engine = BurstEngine(Net([Area("n", refractory=2)]).spec())
    assert _pattern(engine, 1, feed=[0]) == [1]
    assert _pattern(engine, 2) == [0, 0]
    assert _pattern(engine, 1, feed=[0]) == [1]


def test_consecutive_fire_limit_without_snooze_skips_one_burst() -> None:
    engine = BurstEngine(Net([Area("n", fire_limit=3)]).spec())
    assert _pattern(engine, 8, feed=[0]) == [1, 1, 1, 0, 1, 1, 1, 0]


def test_snooze_silences_a_neuron_after_its_consecutive_fire_limit() -> None:
    engine = BurstEngine(Net([Area("n", fire_limit=3, snooze=2)]).spec())
    assert _pattern(engine, 10, feed=[0]) == [1, 1, 1, 0, 0, 1, 1, 1, 0, 0]


def test_power_area_fires_every_burst_without_input() -> None:
    engine = BurstEngine(Net([Area("pwr", power=True), Area("x")]).spec())
    assert _pattern(engine, 4) == [1, 1, 1, 1]
    assert engine.fired_by_cortical_id() == {"pwr": 1}


def test_power_area_with_a_consecutive_fire_limit_of_3_fires_3_bursts_out_of_4() -> None:
    engine = BurstEngine(Net([Area("pwr", power=True, fire_limit=3)]).spec())
    assert _pattern(engine, 8) == [1, 1, 1, 0, 1, 1, 1, 0]


def test_accumulating_neuron_integrates_across_bursts() -> None:
    accumulating = BurstEngine(Net([Area("n", threshold=3.0, accumulate=True)]).spec())
    resetting = BurstEngine(Net([Area("n", threshold=3.0, accumulate=False)]).spec())
    assert _pattern(accumulating, 6, feed=[0]) == [0, 0, 1, 0, 0, 1]
    assert _pattern(resetting, 6, feed=[0]) == [0] * 6


def test_leak_removes_a_fraction_of_the_potential_each_burst_without_firing() -> None:
    engine = BurstEngine(Net([Area("n", threshold=1.9, accumulate=True, leak=0.5)]).spec())
    assert _pattern(engine, 5, feed=[0]) == [0, 0, 0, 0, 1]
    engine.step()
    assert engine.membrane_potential()[0] == 0.0


def test_threshold_grows_with_voxel_coordinates() -> None:
    spec = Net([Area("n", dims=(3, 1, 1), threshold=1.0, increment=(1.0, 0.0, 0.0))]).spec()
    engine = BurstEngine(spec)
    engine.inject_potential([0, 1, 2], 2.0)
    engine.step()
    assert engine.fired_neurons().tolist() == [0, 1]


def test_threshold_limit_is_an_absolute_ceiling() -> None:
    engine = BurstEngine(Net([Area("n", dims=(2, 1, 1), threshold_limit=2.0)]).spec())
    engine.inject_potential([0, 1], [1.5, 3.0])
    engine.step()
    assert engine.fired_neurons().tolist() == [0]


def test_mp_driven_psp_delivers_the_source_potential_at_firing() -> None:
    areas = [Area("src", mp_driven=True), Area("dst", threshold=100.0, accumulate=True)]
    engine = BurstEngine(build_spec(areas, [(0, 1, 0.5, 1.0, 0)], [Group(0, 1)]))
    engine.inject_potential([0], 6.0)
    engine.step()
    engine.step()
    assert engine.membrane_potential()[1] == pytest.approx(3.0)


def test_non_uniform_psp_is_divided_by_the_out_degree() -> None:
    areas = [
        Area("src", uniform=False),
        Area("dst", dims=(4, 1, 1), threshold=100.0, accumulate=True),
    ]
    synapses = [(0, t, 1.0, 4.0, 0) for t in range(1, 5)]
    engine = BurstEngine(build_spec(areas, synapses, [Group(0, 1)]))
    engine.stimulate_neurons([0])
    engine.step()
    engine.step()
    assert engine.membrane_potential()[1:].tolist() == [1.0, 1.0, 1.0, 1.0]


def test_degeneration_wears_down_a_firing_neurons_synapses_to_zero() -> None:
    areas = [Area("src", degeneration=0.4), Area("dst", threshold=100.0)]
    engine = BurstEngine(build_spec(areas, [(0, 1, 1.0, 1.0, 0)], [Group(0, 1)]))
    psp = []
    for _ in range(4):
        engine.stimulate_neurons([0])
        engine.step()
        psp.append(round(float(engine.synapses().psp[0]), 3))
    assert psp == [1.0, 0.6, 0.2, 0.0]


def test_excitability_zero_never_fires_and_one_always_fires() -> None:
    spec = Net(
        [
            Area("never", dims=(5, 1, 1), excitability=0.0),
            Area("always", dims=(5, 1, 1), excitability=1.0),
        ]
    ).spec()
    engine = BurstEngine(spec)
    assert _pattern(engine, 3, feed=list(range(10))) == [5, 5, 5]
    assert set(engine.fired_neurons().tolist()) == set(range(5, 10))


def test_partial_excitability_fires_about_that_fraction() -> None:
    engine = BurstEngine(Net([Area("n", dims=(50, 20, 1), excitability=0.3)]).spec(), seed=7)
    counts = _pattern(engine, 10, feed=list(range(1000)))
    assert 0.25 < sum(counts) / 10_000 < 0.35


def _plastic_pair(window: int, psc_max: float, target_threshold: float) -> BurstEngine:
    areas = [Area("pre", psc_max=psc_max), Area("post", threshold=target_threshold)]
    groups = [Group(0, 1, plastic=True, constant=1.0, ltp=1.0, ltd=0.5, window=window)]
    return BurstEngine(build_spec(areas, [(0, 1, 1.0, 1.0, 0)], groups))


def test_plasticity_grows_a_synapse_when_both_sides_fire_up_to_the_psc_max() -> None:
    engine = _plastic_pair(window=1, psc_max=3.0, target_threshold=1.0)
    psp = []
    for _ in range(4):
        engine.stimulate_neurons([0, 1])
        engine.step()
        psp.append(float(engine.synapses().psp[0]))
    assert psp == [2.0, 3.0, 3.0, 3.0]


def test_plasticity_weakens_a_synapse_when_only_one_side_fires_down_to_zero() -> None:
    engine = _plastic_pair(window=1, psc_max=99.0, target_threshold=100.0)
    psp = []
    for _ in range(3):
        engine.stimulate_neurons([0])
        engine.step()
        psp.append(float(engine.synapses().psp[0]))
    assert psp == [0.5, 0.0, 0.0]


def test_plasticity_window_needs_coincidence_in_every_burst_of_the_window() -> None:
    engine = _plastic_pair(window=3, psc_max=99.0, target_threshold=1.0)
    psp = []
    for _ in range(4):
        engine.stimulate_neurons([0, 1])
        engine.step()
        psp.append(float(engine.synapses().psp[0]))
    assert psp == [0.5, 0.0, 1.0, 2.0]


def test_motor_output_is_the_fraction_of_each_voxels_neurons_that_fired() -> None:
    spec = Net([Area("pad"), Area("o_mot", dims=(4, 1, 1), npv=2, motor=True)]).spec()
    engine = BurstEngine(spec)
    engine.stimulate(1, [[1, 0, 0]])
    engine.stimulate_neurons([1 + 3 * 2])
    engine.step()
    frames = engine.motor_output()
    assert list(frames) == [1]
    assert frames[1].cortical_id == "o_mot"
    assert frames[1].xyz.tolist() == [[1, 0, 0], [3, 0, 0]]
    assert frames[1].activity.tolist() == [1.0, 0.5]
    engine.step()
    assert engine.motor_output()[1].xyz.shape == (0, 3)


def _random_net(seed: int) -> BurstEngine:
    rng = np.random.default_rng(1)
    n = 200
    synapses = [(int(s), int(t), 1.0, 0.6, 0) for s, t in rng.integers(0, n, (1500, 2))]
    spec = build_spec(
        [Area("r", dims=(n, 1, 1), excitability=0.5, accumulate=True, leak=0.1)],
        synapses,
        [Group(0, 0)],
    )
    engine = BurstEngine(spec, seed=seed)
    engine.stimulate_neurons(list(range(0, n, 3)))
    return engine


def test_same_seed_gives_the_same_bursts_and_another_seed_does_not() -> None:
    runs = []
    for seed in (3, 3, 4):
        engine = _random_net(seed)
        runs.append([tuple(engine.fired_neurons()) for _ in range(20) if engine.step() >= 0])
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert sum(len(f) for f in runs[0][-5:]) > 0


def test_an_essential_like_chain_replays_the_feagi_trace() -> None:
    # feagi-counts.md (essential genome, 40 Hz): S: the 192 stimulated IPU neurons; S+1:
    # `forward` with mp = 192 x 5; S+2: the four M*_FW; S+3: four motor neurons at even x;
    # Brain_Power (consecutive-fire limit 3) fires 3 bursts out of 4 throughout.
    areas = [
        Area("___pwr", power=True, fire_limit=3),
        Area("i_visn", dims=(8, 8, 3), sensory=True),
        Area("fwd___"),
        *(Area(f"m{k}_fw_") for k in range(4)),
        Area("o__mot", dims=(8, 1, 1), motor=True),
    ]
    ipu = list(range(1, 193))
    synapses = [(i, 193, 1.0, 5.0, 0) for i in ipu]
    synapses += [(193, 194 + k, 1.0, 5.0, 1 + k) for k in range(4)]
    synapses += [(194 + k, 198 + 2 * k, 1.0, 1.0, 5 + k) for k in range(4)]
    groups = (
        [Group(1, 2)] + [Group(2, 3 + k) for k in range(4)] + [Group(3 + k, 7) for k in range(4)]
    )
    engine = BurstEngine(build_spec(areas, synapses, groups))
    engine.step()  # S-1
    engine.stimulate_area(1)
    trace = []
    for _ in range(6):
        engine.step()
        trace.append(engine.fired_by_cortical_id())
    assert trace == [
        {"___pwr": 1, "i_visn": 192},
        {"___pwr": 1, "fwd___": 1},
        {"m0_fw_": 1, "m1_fw_": 1, "m2_fw_": 1, "m3_fw_": 1},
        {"___pwr": 1, "o__mot": 4},
        {"___pwr": 1},
        {"___pwr": 1},
    ]


def test_the_membrane_potential_at_firing_is_the_summed_input() -> None:
    areas = [Area("i_visn", dims=(8, 8, 3), sensory=True), Area("fwd___")]
    engine = BurstEngine(
        build_spec(areas, [(i, 192, 1.0, 5.0, 0) for i in range(192)], [Group(0, 1)])
    )
    engine.stimulate_area(0)
    engine.step()
    engine.step()
    assert engine.fired_neurons().tolist() == [192]
    assert engine.fired_membrane_potentials().tolist() == [960.0]
