"""Each morphology kind on small cases checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from connectome_builders import (
    area,
    composite,
    genome,
    patterns,
    rule,
    vectors,
    voxel_pairs,
    wire,
)

from brains.connectome import (
    InvalidMappingError,
    LimitExceededError,
    UnknownMorphologyError,
    UnsupportedMorphologyError,
    develop,
)
from brains.genome import Morphology, MorphologyType


def _x_pairs(pairs: set[tuple[tuple[int, int, int], tuple[int, int, int]]]) -> set[tuple[int, int]]:
    return {(s[0], d[0]) for s, d in pairs}


# -- functions -------------------------------------------------------------------------

def test_projector_scales_a_larger_source_down() -> None:
    pairs = voxel_pairs(wire((4, 1, 1), (2, 1, 1), rule("projector")))
    assert _x_pairs(pairs) == {(0, 0), (1, 0), (2, 1), (3, 1)}


def test_projector_spreads_a_smaller_source_over_the_destination() -> None:
    pairs = voxel_pairs(wire((2, 1, 1), (5, 1, 1), rule("projector")))
    # ratio 2.5: destination d comes from trunc(d / 2.5)
    assert _x_pairs(pairs) == {(0, 0), (0, 1), (0, 2), (1, 3), (1, 4)}


def test_projector_maps_equal_sizes_one_to_one_on_every_axis() -> None:
    pairs = voxel_pairs(wire((2, 3, 2), (2, 3, 2), rule("projector")))
    assert pairs == {(v, v) for v in np.ndindex(2, 3, 2)}


def test_projector_of_a_whole_area_onto_one_voxel_converges() -> None:
    connectome = wire((16, 16, 3), (1, 1, 1), rule("projector"))
    assert connectome.synapse_count == 768


def test_projector_xz_transposes_the_source_frame() -> None:
    # feagi-core's own example: (7, 0, 0) of 10x1x1 lands on (0, 0, 7) of 1x1x10.
    pairs = voxel_pairs(wire((10, 1, 1), (1, 1, 10), rule("projector_xz")))
    assert ((7, 0, 0), (0, 0, 7)) in pairs
    assert len(pairs) == 10


def test_projector_xy_swaps_x_and_y() -> None:
    pairs = voxel_pairs(wire((3, 1, 1), (1, 3, 1), rule("projector_xy")))
    assert pairs == {((x, 0, 0), (0, x, 0)) for x in range(3)}


def test_project_from_end_x_projects_only_the_last_layer_onto_the_first() -> None:
    pairs = voxel_pairs(wire((3, 2, 1), (2, 2, 1), rule("project_from_end_x")))
    assert pairs == {((2, y, 0), (0, y, 0)) for y in range(2)}


def test_last_to_first_joins_the_last_voxel_to_the_origin() -> None:
    pairs = voxel_pairs(wire((2, 2, 2), (3, 3, 3), rule("last_to_first")))
    assert pairs == {((1, 1, 1), (0, 0, 0))}


def test_expander_x_connects_each_source_bit_to_the_codes_that_set_it() -> None:
    pairs = voxel_pairs(wire((3, 1, 1), (8, 1, 1), rule("expander_x")))
    assert _x_pairs(pairs) == {
        (0, 4), (0, 5), (0, 6), (0, 7),  # most significant bit
        (1, 2), (1, 3), (1, 6), (1, 7),
        (2, 1), (2, 3), (2, 5), (2, 7),
    }


def test_reducer_x_decodes_a_code_into_its_bits() -> None:
    pairs = voxel_pairs(wire((8, 1, 1), (3, 1, 1), rule("reducer_x")))
    assert {d for s, d in _x_pairs(pairs) if s == 5} == {0, 2}  # 5 = 0b101
    assert {d for s, d in _x_pairs(pairs) if s == 6} == {0, 1}  # 6 = 0b110
    assert not {d for s, d in _x_pairs(pairs) if s == 0}


def test_lateral_pairs_x_joins_even_and_odd_neighbours() -> None:
    pairs = voxel_pairs(wire((5, 1, 1), (5, 1, 1), rule("lateral_pairs_x")))
    assert _x_pairs(pairs) == {(0, 1), (1, 0), (2, 3), (3, 2)}  # 4 has no partner


def test_block_connection_groups_ten_voxels_into_one() -> None:
    pairs = voxel_pairs(wire((20, 1, 1), (2, 1, 1), rule("block_connection")))
    assert _x_pairs(pairs) == {(x, x // 10) for x in range(20)}


def test_randomizer_picks_one_voxel_per_source_neuron_reproducibly() -> None:
    first = wire((4, 4, 1), (3, 3, 3), rule("randomizer"), seed=7)
    again = wire((4, 4, 1), (3, 3, 3), rule("randomizer"), seed=7)
    other = wire((4, 4, 1), (3, 3, 3), rule("randomizer"), seed=8)
    assert first.synapse_count == 16
    assert np.bincount(first.synapses.source, minlength=16).tolist()[:16] == [1] * 16
    assert voxel_pairs(first) == voxel_pairs(again)
    assert voxel_pairs(first) != voxel_pairs(other)


def test_memory_functions_create_no_synapse() -> None:
    assert wire((3, 3, 3), (1, 1, 1), rule("memory")).synapse_count == 0


# -- vectors ---------------------------------------------------------------------------

def test_block_to_block_is_the_identity_inside_both_areas() -> None:
    pairs = voxel_pairs(wire((3, 1, 1), (2, 1, 1), rule("block_to_block")))
    assert _x_pairs(pairs) == {(0, 0), (1, 1)}


def test_lateral_vectors_drop_targets_outside_the_destination() -> None:
    plus = voxel_pairs(wire((3, 1, 1), (3, 1, 1), rule("lateral_+x")))
    minus = voxel_pairs(wire((3, 1, 1), (3, 1, 1), rule("lateral_-x")))
    assert _x_pairs(plus) == {(0, 1), (1, 2)}
    assert _x_pairs(minus) == {(1, 0), (2, 1)}


def test_vectors_are_scaled_per_axis_by_the_rule_scalar() -> None:
    morph = vectors("hop", (1, 1, 0))
    pairs = voxel_pairs(wire((4, 4, 1), (4, 4, 1), rule("hop", scalar=(2, 1, 1)),
                             morphologies=(morph,)))
    assert pairs == {((x, y, 0), (x + 2, y + 1, 0)) for x in range(2) for y in range(3)}


def test_several_vectors_union_their_targets() -> None:
    morph = vectors("fan", (0, 0, 0), (1, 0, 0), (0, 0, 0))
    pairs = voxel_pairs(wire((2, 1, 1), (2, 1, 1), rule("fan"), morphologies=(morph,)))
    assert _x_pairs(pairs) == {(0, 0), (0, 1), (1, 1)}


# -- patterns --------------------------------------------------------------------------

def test_zero_to_all_connects_only_the_origin_to_everything() -> None:
    pairs = voxel_pairs(wire((2, 2, 1), (2, 1, 2), rule("0-0-0_to_all")))
    assert pairs == {((0, 0, 0), d) for d in np.ndindex(2, 1, 2)}


def test_all_to_origin_converges_every_voxel() -> None:
    pairs = voxel_pairs(wire((2, 2, 1), (3, 3, 3), rule("all_to_0-0-0")))
    assert pairs == {(s, (0, 0, 0)) for s in np.ndindex(2, 2, 1)}


def test_all_to_all_connects_every_pair() -> None:
    assert wire((2, 3, 1), (4, 1, 2), rule("all_to_all")).synapse_count == 6 * 8


def test_pattern_wildcards_same_and_except() -> None:
    morph = patterns("mix", (("*", 0, 0), ("!", "?", 0)))
    pairs = voxel_pairs(wire((3, 1, 1), (3, 1, 1), rule("mix"), morphologies=(morph,)))
    assert _x_pairs(pairs) == {(s, d) for s in range(3) for d in range(3) if s != d}


def test_pattern_exact_source_filters_and_exact_destination_targets() -> None:
    morph = patterns("pick", ((1, 0, "*"), (0, 0, 2)))
    pairs = voxel_pairs(wire((2, 1, 3), (1, 1, 3), rule("pick"), morphologies=(morph,)))
    assert pairs == {((1, 0, z), (0, 0, 2)) for z in range(3)}


def test_pattern_same_needs_the_coordinate_in_the_destination() -> None:
    morph = patterns("copy", (("*", "*", "*"), ("?", "?", "?")))
    pairs = voxel_pairs(wire((3, 1, 1), (2, 1, 1), rule("copy"), morphologies=(morph,)))
    assert _x_pairs(pairs) == {(0, 0), (1, 1)}


def test_pattern_relative_tokens_of_feagi_core() -> None:
    morph = patterns("ahead", (("*", 0, 0), ("?+", 0, 0)), (("*", 0, 0), ("?-1", 0, 0)))
    pairs = voxel_pairs(wire((3, 1, 1), (3, 1, 1), rule("ahead"), morphologies=(morph,)))
    assert _x_pairs(pairs) == {(0, 1), (0, 2), (1, 2), (1, 0), (2, 1)}


def test_pattern_outside_the_destination_connects_nothing() -> None:
    morph = patterns("far", ((0, 0, 0), (9, 0, 0)))
    assert wire((1, 1, 1), (2, 1, 1), rule("far"), morphologies=(morph,)).synapse_count == 0


# -- composite -------------------------------------------------------------------------

def test_tile_projects_every_16x16_tile_onto_the_whole_destination() -> None:
    connectome = wire((32, 32, 1), (4, 4, 1), rule("tile"))
    pairs = voxel_pairs(connectome)
    assert len(pairs) == 32 * 32
    assert ((21, 3, 0), (1, 0, 0)) in pairs  # local (5, 3) of the second tile, 16 -> 4
    assert ((5, 30, 0), (1, 3, 0)) in pairs


def test_composite_choose_and_skip_leaves_skipped_tiles_unwired() -> None:
    morph = composite("every_other", (2, 1, 1), ((1, 1), (1, 0), (1, 0)), "projector")
    pairs = voxel_pairs(wire((8, 1, 1), (2, 1, 1), rule("every_other"), morphologies=(morph,)))
    assert {s[0] for s, _ in pairs} == {0, 1, 4, 5}
    assert _x_pairs(pairs) == {(0, 0), (1, 1), (4, 0), (5, 1)}


def test_composite_with_a_vector_mapper_keeps_absolute_coordinates() -> None:
    morph = composite("firsts", (2, 1, 1), ((1, 1), (1, 0), (1, 0)), "block_to_block")
    pairs = voxel_pairs(wire((8, 1, 1), (8, 1, 1), rule("firsts"), morphologies=(morph,)))
    assert _x_pairs(pairs) == {(0, 0), (1, 1), (4, 4), (5, 5)}


def test_composite_with_a_zero_seed_is_rejected_with_the_mapping_named() -> None:
    morph = composite("bad", (0, 1, 1), ((1, 0), (1, 0), (1, 0)), "projector")
    with pytest.raises(InvalidMappingError, match=r"'src' -> 'dst'.*src_seed"):
        wire((4, 1, 1), (4, 1, 1), rule("bad"), morphologies=(morph,))


# -- synapse parameters ----------------------------------------------------------------

def test_each_voxel_pair_joins_every_neuron_of_both_voxels() -> None:
    connectome = wire((1, 1, 1), (1, 1, 1), rule("projector"), src_npv=2, dst_npv=3)
    assert connectome.synapse_count == 6
    assert len({(s, t) for s, t in zip(connectome.synapses.source.tolist(),
                                        connectome.synapses.target.tolist(), strict=True)}) == 6


def test_negative_psc_multiplier_makes_inhibitory_synapses() -> None:
    connectome = wire((2, 1, 1), (2, 1, 1), rule("projector", psc=-2.0))
    assert connectome.synapses.weight.tolist() == [-2.0, -2.0]


def test_psp_is_the_source_areas_postsynaptic_current() -> None:
    connectome = develop(genome(
        area("src", (2, 1, 1), mappings={"dst": (rule("projector"),)}, postsynaptic_current=6.5),
        area("dst", (2, 1, 1)),
    ))
    assert connectome.synapses.psp.tolist() == [6.5, 6.5]


def test_repeated_pairs_across_rules_accumulate_into_one_synapse() -> None:
    connectome = wire((3, 1, 1), (3, 1, 1), rule("projector", psc=2.0),
                      rule("block_to_block", psc=-0.5), rule("lateral_+x"))
    block = connectome.mapping_synapses("src", "dst")
    assert block.rule_counts == (3, 3, 2)
    assert block.count == 5
    weights = dict(zip(zip(block.src.tolist(), block.dst.tolist(), strict=True),
                       block.weight.tolist(), strict=True))
    assert weights == {(0, 0): 1.5, (1, 1): 1.5, (2, 2): 1.5, (0, 1): 1.0, (1, 2): 1.0}
    assert block.rule.tolist() == [0, 2, 0, 2, 0]  # the first rule to make a pair owns it


def test_attractivity_zero_creates_nothing_and_100_everything() -> None:
    assert wire((4, 4, 1), (4, 4, 1), rule("projector"), synapse_attractivity=0.0
                ).synapse_count == 0
    assert wire((4, 4, 1), (4, 4, 1), rule("projector"), synapse_attractivity=100.0
                ).synapse_count == 16


def test_attractivity_thins_synapses_reproducibly_from_the_seed() -> None:
    def build(seed: int) -> set[tuple[tuple[int, int, int], tuple[int, int, int]]]:
        return voxel_pairs(wire((20, 20, 1), (20, 20, 1), rule("projector"), seed=seed,
                                synapse_attractivity=50.0))

    first = build(3)
    assert 150 < len(first) < 250  # 400 candidate pairs at 50 %
    assert build(3) == first
    assert build(4) != first


def test_a_rules_own_attractivity_overrides_the_destination_gene() -> None:
    connectome = wire((4, 4, 1), (4, 4, 1), rule("projector", synapse_attractivity=0.0))
    assert connectome.synapse_count == 0


def test_genome_morphology_overrides_the_builtin_of_the_same_name() -> None:
    own = vectors("projector", (1, 0, 0))
    pairs = voxel_pairs(wire((3, 1, 1), (3, 1, 1), rule("projector"), morphologies=(own,)))
    assert _x_pairs(pairs) == {(0, 1), (1, 2)}


def test_undefined_morphology_names_the_mapping_and_rule() -> None:
    with pytest.raises(UnknownMorphologyError, match=r"'src' -> 'dst', rule 0.*'nowhere'"):
        wire((2, 1, 1), (2, 1, 1), rule("nowhere"))


def test_unknown_function_is_refused_with_the_supported_list() -> None:
    odd = Morphology("sweeper", MorphologyType.FUNCTIONS, {})
    with pytest.raises(UnsupportedMorphologyError, match=r"'sweeper'.*projector"):
        wire((2, 1, 1), (2, 1, 1), rule("sweeper"), morphologies=(odd,))


def test_memory_areas_get_no_neurons_and_no_synapses() -> None:
    connectome = develop(genome(
        area("src", (2, 2, 1), mappings={"mem": (rule("all_to_all"),)}),
        area("mem", (1, 1, 1), sub_group="MEMORY"),
    ))
    assert connectome.counts().areas["mem"].neurons == 0
    assert connectome.synapse_count == 0


def test_composite_with_a_memory_mapper_creates_no_synapse() -> None:
    morph = composite("remember", (2, 1, 1), ((1, 0), (1, 0), (1, 0)), "memory")
    assert wire((4, 1, 1), (1, 1, 1), rule("remember"), morphologies=(morph,)).synapse_count == 0


def test_composite_with_a_randomizer_mapper_wires_only_tiled_neurons() -> None:
    morph = composite("scatter", (1, 1, 1), ((1, 1), (1, 0), (1, 0)), "randomizer")
    pairs = voxel_pairs(wire((6, 1, 1), (3, 3, 1), rule("scatter"), morphologies=(morph,)))
    assert {s[0] for s, _ in pairs} == {0, 2, 4}


def test_a_mapping_with_more_rules_than_uint16_is_refused() -> None:
    with pytest.raises(LimitExceededError, match="65,535"):
        wire((1, 1, 1), (1, 1, 1), *[rule("projector")] * 65_536)
