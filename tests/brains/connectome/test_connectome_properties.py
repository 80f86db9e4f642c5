"""Properties of the synaptogenesis kernels, checked on random inputs (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from connectome_builders import area, genome, patterns, rule, vectors
from hypothesis import given, settings
from hypothesis import strategies as st

from brains.connectome import axes, develop
from brains.genome import PatternElement, PatternKind, parse_pattern_element

sizes = st.integers(min_value=1, max_value=200)
small = st.integers(min_value=1, max_value=6)
dims = st.tuples(small, small, small)


def _slow_projector(size_src: int, size_dst: int) -> set[tuple[int, int]]:
    """feagi-core's per-neuron loop, one coordinate at a time, in float32."""
    out = set()
    for c in range(size_src):
        if size_src > size_dst:
            ratio = np.float32(size_src) / np.float32(size_dst)
            d = int(np.float32(c) / ratio)
            if d < size_dst:
                out.add((c, d))
        elif size_src < size_dst:
            ratio = np.float32(size_dst) / np.float32(size_src)
            out.update((c, d) for d in range(size_dst) if int(np.float32(d) / ratio) == c)
        else:
            out.add((c, c))
    return out


@given(sizes, sizes)
def test_projector_axis_equals_the_per_neuron_reference(size_src: int, size_dst: int) -> None:
    table = axes.projector_axis(size_src, size_dst)
    got = list(zip(table.src.tolist(), table.dst.tolist(), strict=True))
    assert len(got) == len(set(got))
    assert set(got) == _slow_projector(size_src, size_dst)


@given(sizes, sizes)
def test_projector_axis_covers_the_larger_side_exactly_once(size_src: int, size_dst: int) -> None:
    table = axes.projector_axis(size_src, size_dst)
    if size_src >= size_dst:
        assert sorted(table.src.tolist()) == list(range(size_src))
    else:
        assert sorted(table.dst.tolist()) == list(range(size_dst))


@given(dims, dims)
def test_projector_never_targets_outside_the_destination(src: tuple[int, int, int],
                                                          dst: tuple[int, int, int]) -> None:
    tables = (axes.projector_axis(src[0], dst[0]), axes.projector_axis(src[1], dst[1]),
              axes.projector_axis(src[2], dst[2]))
    src_v, dst_v = axes.product(tables, src, dst)
    assert src_v.size == axes.product_size(tables)
    assert np.all((src_v >= 0) & (src_v < np.prod(src)))
    assert np.all((dst_v >= 0) & (dst_v < np.prod(dst)))
    assert np.unique(src_v * np.prod(dst) + dst_v).size == src_v.size


tokens = st.one_of(
    st.sampled_from(["*", "?", "!", "?+", "?-", "?+=", "?-="]),
    st.integers(min_value=0, max_value=7),
    st.integers(min_value=-3, max_value=3).map(lambda n: f"?{n:+d}"),
    st.tuples(st.integers(0, 5), st.integers(0, 4)).map(lambda t: f"{t[0]}..{t[0] + t[1]}"),
    st.tuples(st.integers(-3, 0), st.integers(0, 3)).map(lambda t: f"?{t[0]:+d}:?{t[1]:+d}"),
)


def _source_matches(element: PatternElement, c: int) -> bool:
    if element.kind is PatternKind.EXACT:
        return c == element.value
    if element.kind is PatternKind.ABSOLUTE_RANGE:
        return element.low <= c <= element.high
    return True


def _destination_matches(element: PatternElement, c: int, d: int) -> bool:
    return {
        PatternKind.ANY: True,
        PatternKind.SAME: d == c,
        PatternKind.EXCEPT: d != c,
        PatternKind.EXACT: d == element.value,
        PatternKind.ABOVE: d > c,
        PatternKind.BELOW: d < c,
        PatternKind.ABOVE_OR_SAME: d >= c,
        PatternKind.BELOW_OR_SAME: d <= c,
        PatternKind.OFFSET: d == c + element.value,
        PatternKind.RELATIVE_RANGE: c + element.low <= d <= c + element.high,
        PatternKind.ABSOLUTE_RANGE: element.low <= d <= element.high,
    }[element.kind]


@given(tokens, tokens, st.integers(1, 9), st.integers(1, 9))
def test_pattern_axis_equals_the_pointwise_rule(src_token: int | str, dst_token: int | str,
                                                size_src: int, size_dst: int) -> None:
    source, destination = parse_pattern_element(src_token), parse_pattern_element(dst_token)
    table = axes.pattern_axis(source, destination, size_src, size_dst)
    got = list(zip(table.src.tolist(), table.dst.tolist(), strict=True))
    expected = {
        (c, d) for c in range(size_src) for d in range(size_dst)
        if _source_matches(source, c) and _destination_matches(destination, c, d)
    }
    assert len(got) == len(set(got))
    assert set(got) == expected


offsets = st.tuples(st.integers(-2, 2), st.integers(-2, 2), st.integers(-2, 2))
rule_choices = st.one_of(
    st.sampled_from(["projector", "block_to_block", "lateral_+x", "lateral_-y", "all_to_0-0-0",
                     "0-0-0_to_all", "last_to_first", "projector_yz", "v", "p"]),
)


@settings(max_examples=40, deadline=None)
@given(dims, dims, st.lists(st.tuples(rule_choices, st.sampled_from([1.0, -1.0, 2.5])),
                            min_size=1, max_size=6),
       st.lists(offsets, min_size=1, max_size=3), st.integers(1, 2), st.integers(1, 2))
def test_accumulation_never_leaves_duplicate_pairs(
        src: tuple[int, int, int], dst: tuple[int, int, int],
        chosen: list[tuple[str, float]], vecs: list[tuple[int, int, int]],
        src_npv: int, dst_npv: int) -> None:
    morphologies = (vectors("v", *vecs), patterns("p", (("*", 0, "?"), ("?", "!", 0))))
    rules = tuple(rule(name, psc=psc) for name, psc in chosen)
    connectome = develop(genome(
        area("src", src, npv=src_npv, mappings={"dst": rules}),
        area("dst", dst, npv=dst_npv),
        morphologies=morphologies,
    ))
    block = connectome.mapping_synapses("src", "dst")
    keys = block.src.astype(np.int64) * 10_000 + block.dst
    assert np.unique(keys).size == block.count
    assert np.all(block.src < np.prod(src) * src_npv)
    assert np.all(block.dst < np.prod(dst) * dst_npv)
    expected_total = sum(psc * n for (_, psc), n in zip(chosen, block.rule_counts, strict=True))
    assert np.isclose(float(block.weight.astype(np.float64).sum()), expected_total)
    assert block.count <= sum(block.rule_counts)


@settings(max_examples=20, deadline=None)
@given(dims, dims, st.integers(0, 2**31), st.floats(0, 100))
def test_same_seed_same_connectome(src: tuple[int, int, int], dst: tuple[int, int, int],
                                   seed: int, attractivity: float) -> None:
    def build() -> tuple[list[int], list[int]]:
        connectome = develop(genome(
            area("src", src, mappings={"dst": (rule("randomizer"), rule("all_to_all"))}),
            area("dst", dst, synapse_attractivity=attractivity),
        ), seed=seed)
        return connectome.synapses.source.tolist(), connectome.synapses.target.tolist()

    assert build() == build()


_POOL = ("projector", "all_to_all", "lateral_+x", "0-0-0_to_all", "randomizer", "p")
edits = st.lists(st.one_of(
    st.tuples(st.just("resize"), st.integers(0, 2), dims),
    st.tuples(st.just("map"), st.integers(0, 2), st.integers(0, 2),
              st.lists(st.sampled_from(_POOL), min_size=1, max_size=3)),
    st.tuples(st.just("unmap"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("attract"), st.integers(0, 2), st.sampled_from([0.0, 50.0, 100.0])),
    st.tuples(st.just("npv"), st.integers(0, 2), st.integers(1, 2)),
), max_size=6)


@settings(max_examples=30, deadline=None)
@given(edits)
def test_incremental_redevelopment_equals_developing_from_scratch(
        steps: list[tuple[Any, ...]]) -> None:
    morphologies = (patterns("p", (("*", 0, "?"), ("?", "!", 0))),)
    names = ("a", "b", "c")
    brain = develop(genome(
        area("a", (2, 2, 1), mappings={"b": (rule("projector"),)}),
        area("b", (3, 1, 2), mappings={"c": (rule("all_to_all"), rule("p"))}),
        area("c", (1, 2, 2), synapse_attractivity=50.0),
        morphologies=morphologies,
    ), seed=11)
    for step in steps:
        kind = step[0]
        if kind == "resize":
            brain.resize_area(names[step[1]], step[2])
        elif kind == "map":
            brain.set_mapping(names[step[1]], names[step[2]],
                              [rule(m) for m in step[3]])
        elif kind == "unmap":
            brain.set_mapping(names[step[1]], names[step[2]], ())
        elif kind == "attract":
            brain.update_area(names[step[1]], synapse_attractivity=step[2])
        else:
            brain.update_area(names[step[1]], neurons_per_voxel=step[2])
    fresh = develop(genome(*brain.areas.values(), morphologies=morphologies), seed=11)
    assert fresh.area_ids == brain.area_ids
    assert fresh.counts() == brain.counts()
    for name in ("source", "target", "weight", "psp", "group"):
        assert getattr(fresh.synapses, name).tolist() == getattr(brain.synapses, name).tolist()
