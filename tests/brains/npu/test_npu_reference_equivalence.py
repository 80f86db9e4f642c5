"""The numba kernels against the pure-Python reference, on random small networks."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from npu_builders import Area, Group, build_spec
from npu_reference import ReferenceBrain

from brains.npu import BrainBatch, BurstEngine

_area = st.builds(
    Area,
    cortical_id=st.just("x"),
    dims=st.tuples(st.integers(1, 3), st.integers(1, 2), st.integers(1, 2)),
    npv=st.integers(1, 2),
    threshold=st.sampled_from([0.5, 1.0, 2.0, 3.0]),
    increment=st.tuples(*[st.sampled_from([0.0, 0.5])] * 3),
    threshold_limit=st.sampled_from([0.0, 0.0, 4.0]),
    leak=st.sampled_from([0.0, 0.1, 0.25, 0.5]),
    leak_variability=st.sampled_from([0.0, 0.0, 7.0]),
    refractory=st.integers(0, 3),
    fire_limit=st.integers(0, 3),
    snooze=st.integers(0, 3),
    accumulate=st.booleans(),
    mp_driven=st.booleans(),
    uniform=st.booleans(),
    excitability=st.sampled_from([1.0, 1.0, 0.6, 0.0]),
    degeneration=st.sampled_from([0.0, 0.0, 0.25]),
    psc_max=st.sampled_from([99999.0, 3.0]),
    power=st.just(False),
)


@st.composite
def networks(draw: st.DrawFn) -> tuple[object, list[list[tuple[str, int, float]]], int]:
    areas = draw(st.lists(_area, min_size=1, max_size=3))
    for i, a in enumerate(areas):
        a.cortical_id = f"a{i:05d}"
    if draw(st.booleans()):
        areas[0].power = True
        areas[0].dims, areas[0].npv = (1, 1, 1), 1
    sizes = [a.size for a in areas]
    area_of = [i for i, s in enumerate(sizes) for _ in range(s)]
    n = len(area_of)
    groups = []
    pair_group: dict[tuple[int, int], int] = {}
    for s in range(len(areas)):
        for d in range(len(areas)):
            pair_group[(s, d)] = len(groups)
            groups.append(
                Group(
                    s,
                    d,
                    plastic=draw(st.booleans()),
                    constant=draw(st.sampled_from([0.25, 0.5])),
                    ltp=draw(st.sampled_from([1.0, 2.0])),
                    ltd=draw(st.sampled_from([0.5, 1.0])),
                    window=draw(st.integers(1, 3)),
                )
            )
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=40))
    synapses = [
        (
            s,
            t,
            draw(st.sampled_from([-1.0, -0.5, 0.5, 1.0, 2.0])),
            draw(st.sampled_from([0.5, 1.0, 2.0])),
            pair_group[(area_of[s], area_of[t])],
        )
        for s, t in pairs
    ]
    schedule = draw(
        st.lists(
            st.lists(
                st.tuples(
                    st.sampled_from(["stimulate", "inject"]),
                    st.integers(0, n - 1),
                    st.sampled_from([0.5, 1.0, 2.5, -1.0]),
                ),
                max_size=4,
            ),
            min_size=1,
            max_size=10,
        )
    )
    seed = draw(st.integers(0, 2**32))
    return build_spec(areas, synapses, groups), schedule, seed


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_kernels_match_the_reference_burst_by_burst(case: tuple) -> None:  # type: ignore[type-arg]
    spec, schedule, seed = case
    engine = BurstEngine(spec, seed=seed)
    reference = ReferenceBrain(spec, seed=seed)
    for inputs in schedule:
        for kind, neuron, value in inputs:
            if kind == "stimulate":
                engine.stimulate_neurons([neuron])
                reference.stimulate(neuron)
            else:
                engine.inject_potential([neuron], [value])
                reference.inject(neuron, value)
        engine.step()
        expected = reference.step()
        assert engine.fired_neurons().tolist() == expected
        assert engine.membrane_potential().tobytes() == np.array(reference.mp, np.float32).tobytes()
    assert engine.synaptic_events == reference.events
    assert (
        engine.synapses().psp.tobytes() == np.array(reference.psp_by_source(), np.float32).tobytes()
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(networks(), min_size=2, max_size=4))
def test_a_batch_of_random_brains_matches_each_brain_alone(cases: list) -> None:  # type: ignore[type-arg]
    specs = [spec for spec, _, _ in cases]
    seeds = [seed for _, _, seed in cases]
    batch = BrainBatch(specs, seeds=seeds)
    alone = [BurstEngine(spec, seed=seed) for spec, seed in zip(specs, seeds, strict=True)]
    bursts = max(len(schedule) for _, schedule, _ in cases)
    for k in range(bursts):
        for b, (_, schedule, _) in enumerate(cases):
            for kind, neuron, value in schedule[k] if k < len(schedule) else []:
                if kind == "stimulate":
                    batch.stimulate_neurons(b, [neuron])
                    alone[b].stimulate_neurons([neuron])
                else:
                    batch.inject_potential(b, [neuron], [value])
                    alone[b].inject_potential([neuron], [value])
        batch.step()
        for b, engine in enumerate(alone):
            engine.step()
            assert batch.fired_neurons(b).tolist() == engine.fired_neurons().tolist()
    for b, engine in enumerate(alone):
        assert batch.membrane_potential(b).tobytes() == engine.membrane_potential().tobytes()
        snapshot = batch.snapshot_brain(b).arrays
        assert snapshot["syn_psp"].tobytes() == engine.synapses().psp.tobytes()
