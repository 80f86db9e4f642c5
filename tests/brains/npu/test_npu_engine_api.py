"""BurstEngine's boundary: validation, input, snapshots, growth, memory budget."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from npu_builders import Area, Group, Net, build_spec, chain

from brains.npu import (
    BrainBatch,
    BurstEngine,
    EngineSnapshot,
    InvalidInputError,
    InvalidNetworkError,
    InvalidSnapshotError,
)


def _cuba_like(n: int, per_neuron: int, seed: int = 0) -> BurstEngine:
    rng = np.random.default_rng(seed)
    spec = build_spec([Area("e", dims=(n, 1, 1), accumulate=True, leak=0.1)], [], [Group(0, 0)])
    spec = dataclasses.replace(
        spec,
        synapse_source=np.repeat(np.arange(n, dtype=np.uint32), per_neuron),
        synapse_target=rng.integers(0, n, n * per_neuron).astype(np.uint32),
        synapse_weight=np.ones(n * per_neuron, np.float32),
        synapse_psp=np.full(n * per_neuron, 0.3, np.float32),
        synapse_group=np.zeros(n * per_neuron, np.uint16),
    )
    return BurstEngine(spec, seed=seed)


def test_memory_stays_within_48_bytes_per_neuron_and_16_per_synapse() -> None:
    usage = _cuba_like(5000, 80).memory_bytes()
    assert usage.synapses == 400_000
    assert usage.bytes_per_neuron <= 48
    assert usage.bytes_per_synapse <= 16
    assert usage.table_bytes < 0.01 * usage.total_bytes


def test_step_n_runs_in_one_call_and_records_fired_totals() -> None:
    one = _cuba_like(500, 20)
    many = _cuba_like(500, 20)
    one.stimulate_neurons(np.arange(0, 500, 5))
    many.stimulate_neurons(np.arange(0, 500, 5))
    singles = [one.step() for _ in range(30)]
    totals = many.step_n(30, record=30)
    assert totals.tolist() == singles
    assert many.burst_count == 30
    assert many.synaptic_events == one.synaptic_events > 0


def test_snapshot_bytes_round_trip_resumes_identically() -> None:
    engine = _cuba_like(300, 10)
    engine.stimulate_neurons(np.arange(0, 300, 4))
    engine.step_n(3)
    data = engine.snapshot().to_bytes()
    later = [engine.step() for _ in range(10)]
    fresh = _cuba_like(300, 10)
    fresh.restore(EngineSnapshot.from_bytes(data))
    assert fresh.burst_count == 3
    assert [fresh.step() for _ in range(10)] == later
    assert fresh.membrane_potential().tobytes() == engine.membrane_potential().tobytes()


def test_restoring_a_snapshot_of_another_network_is_refused() -> None:
    snapshot = _cuba_like(300, 10).snapshot()
    with pytest.raises(InvalidSnapshotError, match="another network"):
        _cuba_like(301, 10).restore(snapshot)


def test_garbage_bytes_are_not_a_snapshot() -> None:
    with pytest.raises(InvalidSnapshotError, match="not an engine snapshot"):
        EngineSnapshot.from_bytes(b"not a zip")


def test_grown_synapses_propagate_from_the_next_burst() -> None:
    engine = BurstEngine(chain(3).spec())
    assert engine.add_synapses([0], [2], 1.0, 1.0, 0) == 1
    assert engine.synapse_count == 3
    engine.stimulate_neurons([0])
    engine.step()
    engine.step()
    assert engine.fired_neurons().tolist() == [1, 2]
    assert engine.memory_bytes().pending_synapse_bytes == 0
    table = engine.synapses()
    assert list(zip(table.source.tolist(), table.target.tolist(), strict=True)) == [
        (0, 1),
        (0, 2),
        (1, 2),
    ]


def test_growth_with_a_bad_target_is_refused_and_nothing_is_added() -> None:
    engine = BurstEngine(chain(3).spec())
    with pytest.raises(InvalidInputError, match="target: neuron id 9 out of range"):
        engine.add_synapses([0], [9], 1.0, 1.0, 0)
    assert engine.synapse_count == 2


def test_sensory_injection_reaches_every_neuron_of_the_voxel() -> None:
    spec = Net([Area("i_sen", dims=(2, 2, 1), npv=2, threshold=1.5, sensory=True)]).spec()
    engine = BurstEngine(spec)
    engine.inject_sensory(0, [[1, 0, 0], [0, 1, 0]], [2.0, 1.0])
    engine.step()
    assert engine.fired_neurons().tolist() == [4, 5]


def test_sensory_batch_form_matches_per_area_calls() -> None:
    areas = [Area("i_a", dims=(3, 1, 1), sensory=True), Area("i_b", dims=(3, 1, 1), sensory=True)]
    batch = BurstEngine(Net(areas).spec())
    batch.inject_sensory_batch([1, 0, 1], [[0, 0, 0], [2, 0, 0], [2, 0, 0]], [1.0, 1.0, 0.5])
    batch.step()
    assert batch.fired_neurons().tolist() == [3, 2]


def test_sensory_injection_into_a_non_sensory_area_is_refused() -> None:
    engine = BurstEngine(Net([Area("core")]).spec())
    with pytest.raises(InvalidInputError, match="'core' is not a sensory"):
        engine.inject_sensory(0, [[0, 0, 0]], [1.0])


def test_a_voxel_outside_the_area_names_the_voxel_and_the_area() -> None:
    engine = BurstEngine(Net([Area("i_s", dims=(2, 1, 1), sensory=True)]).spec())
    with pytest.raises(InvalidInputError, match=r"voxel \(2, 0, 0\) \(row 1\) outside area 'i_s'"):
        engine.inject_sensory(0, [[0, 0, 0], [2, 0, 0]], [1.0, 1.0])
    with pytest.raises(InvalidInputError, match="area index 5 out of range"):
        engine.stimulate(5, [[0, 0, 0]])


def test_non_finite_sensory_values_are_refused() -> None:
    engine = BurstEngine(Net([Area("i_s", sensory=True)]).spec())
    with pytest.raises(InvalidInputError, match="finite"):
        engine.inject_sensory(0, [[0, 0, 0]], [float("nan")])


def test_neurons_not_laid_out_voxel_by_voxel_are_still_found() -> None:
    spec = Net([Area("i_s", dims=(3, 1, 1), sensory=True)]).spec()
    reordered = dataclasses.replace(spec, neuron_xyz=spec.neuron_xyz[::-1].copy())
    engine = BurstEngine(reordered)
    engine.inject_sensory(0, [[0, 0, 0]], [1.0])
    engine.step()
    assert engine.fired_neurons().tolist() == [2]


def test_a_memory_area_without_neurons_takes_stimulation_as_a_no_op() -> None:
    engine = BurstEngine(Net([Area("m", memory=True), Area("x")]).spec())
    engine.stimulate_area(0)
    assert engine.step() == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: dataclasses.replace(s, neuron_area=np.array([0, 7], np.uint32)),
            r"neuron_area\[1\]: area 7 does not exist",
        ),
        (
            lambda s: dataclasses.replace(s, synapse_target=np.array([5], np.uint32)),
            r"synapse_target\[0\]: index 5 out of range",
        ),
        (
            lambda s: dataclasses.replace(s, synapse_psp=np.array([-1], np.float32)),
            r"synapse_psp\[0\]: negative",
        ),
        (
            lambda s: dataclasses.replace(s, synapse_weight=np.array([np.inf], np.float32)),
            r"synapse_weight\[0\]: not a finite number",
        ),
        (
            lambda s: dataclasses.replace(
                s,
                areas=dataclasses.replace(s.areas, leak_coefficient=np.array([0, 10], np.float32)),
            ),
            r"leak_coefficient\[1\] \(area 'c00001'\): 10.0 outside \[0.0, 1.0\]",
        ),
        (
            lambda s: dataclasses.replace(
                s,
                groups=dataclasses.replace(
                    s.groups, plastic=np.array([True]), plasticity_window=np.array([40], np.uint16)
                ),
            ),
            r"plasticity_window: 40 outside \[1, 31\]",
        ),
    ],
)
def test_an_inconsistent_network_is_refused_naming_the_field(change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidNetworkError, match=message):
        BurstEngine(change(chain(2).spec()))


def test_area_lookup_by_cortical_id() -> None:
    engine = BurstEngine(chain(3).spec())
    assert engine.area_index("c00002") == 2
    with pytest.raises(InvalidInputError, match="unknown cortical area 'nope'"):
        engine.area_index("nope")


def test_a_snapshot_carries_grown_synapses_to_a_fresh_engine() -> None:
    engine = BurstEngine(chain(3).spec())
    engine.add_synapses([2], [0], -1.0, 2.0, 1)
    data = engine.snapshot().to_bytes()
    fresh = BurstEngine(chain(3).spec())
    fresh.restore(EngineSnapshot.from_bytes(data))
    assert fresh.synapse_count == 3
    assert fresh.synapses().weight.tolist() == [1.0, 1.0, -1.0]


def test_a_negative_burst_count_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="burst count must be >= 0"):
        BurstEngine(chain(2).spec()).step_n(-1)


def test_growth_in_a_group_that_does_not_exist_is_refused() -> None:
    with pytest.raises(InvalidInputError, match=r"group out of range \(0..0\)"):
        BurstEngine(chain(2).spec()).add_synapses([0], [1], 1.0, 1.0, 4)


def test_more_than_65536_synapse_groups_in_one_layout_is_refused() -> None:
    spec = build_spec([Area("a"), Area("b")], [(0, 1, 1.0, 1.0, 0)], [Group(0, 1)] * 40_000)
    with pytest.raises(InvalidNetworkError, match="80000 synapse groups in one layout"):
        BrainBatch([spec, spec])


def test_the_neuron_count_limit_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    import brains.npu.layout as layout

    monkeypatch.setattr(layout, "_MAX_INDEX", 3)
    with pytest.raises(InvalidNetworkError, match="4 neurons, at most 3"):
        BurstEngine(chain(4).spec())
