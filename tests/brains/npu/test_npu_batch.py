"""BrainBatch: many brains in one kernel call give what each brain gives alone."""

from __future__ import annotations

import numpy as np
import pytest
from npu_builders import Area, Group, build_spec

from brains.npu import (
    BurstEngine,
    EngineSnapshot,
    InvalidInputError,
    InvalidSnapshotError,
    NetworkSpec,
)
from brains.npu.batch import BrainBatch


def _small_brain(rng: np.random.Generator) -> NetworkSpec:
    n_hidden = int(rng.integers(2, 6))
    areas = [
        Area("_power", power=True, fire_limit=3),
        Area("i_sens", dims=(2, 1, 1), sensory=True),
        Area(
            "hidden",
            dims=(n_hidden, 1, 1),
            accumulate=True,
            leak=0.2,
            excitability=0.7,
            refractory=int(rng.integers(0, 2)),
        ),
        Area("o_motr", dims=(2, 1, 1), npv=2, motor=True, uniform=False),
    ]
    first = np.cumsum([0, 1, 2, n_hidden, 4])
    groups = [
        Group(0, 2),
        Group(1, 2),
        Group(2, 3, plastic=True, constant=0.1, window=2),
        Group(2, 2),
    ]
    synapses = [(0, int(first[2] + h), 1.0, 0.4, 0) for h in range(n_hidden)]
    synapses += [
        (int(first[1] + s), int(first[2] + h), 1.0, 1.0, 1)
        for s in range(2)
        for h in range(n_hidden)
    ]
    synapses += [
        (int(first[2] + h), int(first[3] + m), 1.0, 2.0, 2)
        for h in range(n_hidden)
        for m in range(4)
        if rng.random() < 0.6
    ]
    synapses += [
        (int(first[2] + h), int(first[2] + k), -0.5, 1.0, 3)
        for h in range(n_hidden)
        for k in range(n_hidden)
        if h != k and rng.random() < 0.3
    ]
    return build_spec(areas, synapses, groups)


def test_a_batch_bursts_every_brain_exactly_as_it_would_alone() -> None:
    rng = np.random.default_rng(5)
    specs = [_small_brain(rng) for _ in range(12)]
    seeds = [int(s) for s in rng.integers(0, 1000, len(specs))]
    batch = BrainBatch(specs, seeds=seeds)
    alone = [BurstEngine(spec, seed=seed) for spec, seed in zip(specs, seeds, strict=True)]
    for burst in range(25):
        for b, engine in enumerate(alone):
            if (burst + b) % 4 == 0:
                batch.inject_sensory(b, 1, [[b % 2, 0, 0]], [1.5])
                engine.inject_sensory(1, [[b % 2, 0, 0]], [1.5])
        batch.step()
        for engine in alone:
            engine.step()
        for b, engine in enumerate(alone):
            assert batch.fired_neurons(b).tolist() == engine.fired_neurons().tolist()
            assert batch.fired_by_area(b).tolist() == engine.fired_by_area().tolist()
            frames, expected = batch.motor_output(b), engine.motor_output()
            assert frames[3].xyz.tolist() == expected[3].xyz.tolist()
            assert frames[3].activity.tolist() == expected[3].activity.tolist()
    for b, engine in enumerate(alone):
        assert batch.membrane_potential(b).tobytes() == engine.membrane_potential().tobytes()
    assert batch.synaptic_events_per_brain().tolist() == [e.synaptic_events for e in alone]
    assert batch.fired_per_brain().tolist() == [e.fired_last_burst for e in alone]
    assert sum(e.synaptic_events for e in alone) > 100


def test_a_batch_refuses_an_unknown_brain_index() -> None:
    batch = BrainBatch([_small_brain(np.random.default_rng(1))])
    with pytest.raises(InvalidInputError, match="brain index 3 out of range"):
        batch.stimulate_area(3, 0)
    with pytest.raises(InvalidInputError, match="area index 9 out of range"):
        batch.stimulate_area(0, 9)


def test_vectorized_input_and_motor_read_out_across_brains_match_per_brain_calls() -> None:
    rng = np.random.default_rng(9)
    specs = [_small_brain(rng) for _ in range(6)]
    many = BrainBatch(specs)
    one_by_one = BrainBatch(specs)
    brains = [0, 3, 3, 5]
    voxels = [[0, 0, 0], [1, 0, 0], [0, 0, 0], [1, 0, 0]]
    many.inject_sensory_many(brains, [1, 1, 1, 1], voxels, [2.0, 2.0, 2.0, 2.0])
    for b, v in zip(brains, voxels, strict=True):
        one_by_one.inject_sensory(b, 1, [v], [2.0])
    for _ in range(3):
        many.step()
        one_by_one.step()
    brain, area, xyz, activity = many.motor_activity()
    expected = [
        (b, 3, tuple(v), float(a))
        for b in range(6)
        for v, a in zip(
            one_by_one.motor_output(b)[3].xyz.tolist(),
            one_by_one.motor_output(b)[3].activity.tolist(),
            strict=True,
        )
    ]
    got = [
        (int(b), int(a), tuple(v), float(x))
        for b, a, v, x in zip(brain, area, xyz.tolist(), activity, strict=True)
    ]
    assert got == expected
    assert len(got) > 0


def test_vectorized_input_refuses_a_non_sensory_area_naming_the_row() -> None:
    batch = BrainBatch([_small_brain(np.random.default_rng(2)) for _ in range(2)])
    with pytest.raises(InvalidInputError, match=r"'hidden' \(row 1\) is not a sensory"):
        batch.inject_sensory_many([0, 1], [1, 2], [[0, 0, 0], [0, 0, 0]], [1.0, 1.0])


def _fired_trace(step: object, fired: object, bursts: int) -> list[list[int]]:
    out = []
    for _ in range(bursts):
        step()  # type: ignore[operator]
        out.append(fired().tolist())  # type: ignore[operator]
    return out


def test_a_brain_leaves_a_batch_as_a_snapshot_and_runs_on_alone_identically() -> None:
    rng = np.random.default_rng(3)
    specs = [_small_brain(rng) for _ in range(5)]
    batch = BrainBatch(specs, seeds=[10, 11, 12, 13, 14])
    for burst in range(8):
        batch.inject_sensory(2, 1, [[burst % 2, 0, 0]], [1.5])
        batch.step()
    data = batch.snapshot_brain(2).to_bytes()
    alone = BurstEngine(specs[2], seed=12)
    alone.restore(EngineSnapshot.from_bytes(data))
    assert alone.burst_count == 8
    expected = _fired_trace(batch.step, lambda: batch.fired_neurons(2), 15)
    assert _fired_trace(alone.step, alone.fired_neurons, 15) == expected
    assert alone.membrane_potential().tobytes() == batch.membrane_potential(2).tobytes()


def test_a_brain_joins_a_running_batch_from_an_engine_snapshot_with_grown_synapses() -> None:
    rng = np.random.default_rng(4)
    specs = [_small_brain(rng) for _ in range(4)]
    engine = BurstEngine(specs[1], seed=21)
    engine.add_synapses([1, 2], [3, 4], 1.0, 2.0, 1)
    for _ in range(6):
        engine.inject_sensory(1, [[0, 0, 0]], [1.5])
        engine.step()
    batch = BrainBatch(specs, seeds=[20, 21, 22, 23])
    batch.step_n(11)
    neighbours = BrainBatch(specs, seeds=[20, 21, 22, 23])
    neighbours.step_n(11)
    batch.restore_brain(1, engine.snapshot())
    for _ in range(12):
        batch.step()
        engine.step()
        neighbours.step()
        assert batch.fired_neurons(1).tolist() == engine.fired_neurons().tolist()
        for other in (0, 2, 3):
            assert batch.fired_neurons(other).tolist() == neighbours.fired_neurons(other).tolist()
    assert batch.synaptic_events_per_brain()[1] == engine.synaptic_events
    assert batch.snapshot_brain(1).arrays["syn_target"].shape[0] == engine.synapse_count


def test_restoring_a_brain_from_another_network_is_refused() -> None:
    rng = np.random.default_rng(5)
    batch = BrainBatch([_small_brain(rng) for _ in range(2)])
    foreign = BurstEngine(build_spec([Area("x", dims=(3, 1, 1))], [], [Group(0, 0)]))
    with pytest.raises(InvalidSnapshotError, match="another network"):
        batch.restore_brain(0, foreign.snapshot())
