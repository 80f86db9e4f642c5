"""Small genomes built in code for hand-checked synaptogenesis cases."""

from __future__ import annotations

from typing import Any

from brains.connectome import Connectome, develop
from brains.genome import (
    CompositeSpec,
    CorticalArea,
    CorticalGroup,
    Genome,
    MappingRule,
    Morphology,
    MorphologyType,
    PatternPair,
    Vec3,
    parse_pattern_element,
)

Voxel = tuple[int, int, int]


def area(cortical_id: str, dims: Voxel, *, npv: int = 1,
         group: CorticalGroup = CorticalGroup.CUSTOM,
         mappings: dict[str, tuple[MappingRule, ...]] | None = None,
         **props: Any) -> CorticalArea:
    return CorticalArea(cortical_id=cortical_id, name=cortical_id, group=group,
                        dimensions=Vec3(*dims), neurons_per_voxel=npv,
                        mappings=mappings or {}, **props)


def rule(morphology_id: str, *, psc: float = 1.0, scalar: Voxel = (1, 1, 1),
         **kw: Any) -> MappingRule:
    return MappingRule(morphology_id, Vec3(*scalar), psc, **kw)


def vectors(name: str, *vs: Voxel) -> Morphology:
    return Morphology(name, MorphologyType.VECTORS, {"vectors": [list(v) for v in vs]},
                      vectors=tuple(Vec3(*v) for v in vs))


def patterns(name: str, *pairs: tuple[tuple[int | str, ...], tuple[int | str, ...]]) -> Morphology:
    parsed = tuple(
        PatternPair((parse_pattern_element(s[0]), parse_pattern_element(s[1]),
                     parse_pattern_element(s[2])),
                    (parse_pattern_element(d[0]), parse_pattern_element(d[1]),
                     parse_pattern_element(d[2])))
        for s, d in pairs
    )
    return Morphology(name, MorphologyType.PATTERNS,
                      {"patterns": [[list(s), list(d)] for s, d in pairs]},
                      patterns=parsed)


def composite(name: str, seed: Voxel, pattern: tuple[tuple[int, int], ...],
              mapper: str) -> Morphology:
    return Morphology(name, MorphologyType.COMPOSITE,
                      {"src_seed": list(seed), "src_pattern": [list(p) for p in pattern],
                       "mapper_morphology": mapper},
                      composite=CompositeSpec(Vec3(*seed), (pattern[0], pattern[1], pattern[2]),
                                              mapper))


def genome(*areas: CorticalArea, morphologies: tuple[Morphology, ...] = ()) -> Genome:
    return Genome(
        genome_id="test", title="test", version="2.0",
        areas={a.cortical_id: a for a in areas},
        morphologies={m.morphology_id: m for m in morphologies},
    )


def wire(src_dims: Voxel, dst_dims: Voxel, *rules: MappingRule,
         morphologies: tuple[Morphology, ...] = (), src_npv: int = 1, dst_npv: int = 1,
         seed: int = 0, **dst_props: Any) -> Connectome:
    """A brain with area ``src`` mapped onto area ``dst`` by ``rules``."""
    return develop(genome(
        area("src", src_dims, npv=src_npv, mappings={"dst": rules}),
        area("dst", dst_dims, npv=dst_npv, **dst_props),
        morphologies=morphologies,
    ), seed=seed)


def voxel_pairs(connectome: Connectome, source: str = "src",
                destination: str = "dst") -> set[tuple[Voxel, Voxel]]:
    """The mapping's synapses as (source voxel, destination voxel) pairs."""
    neurons = connectome.neurons
    synapses = connectome.synapses
    src_area = connectome.area_index(source)
    dst_area = connectome.area_index(destination)
    out = set()
    for s, t in zip(synapses.source.tolist(), synapses.target.tolist(), strict=True):
        if neurons.area[s] == src_area and neurons.area[t] == dst_area:
            out.add(((int(neurons.x[s]), int(neurons.y[s]), int(neurons.z[s])),
                     (int(neurons.x[t]), int(neurons.y[t]), int(neurons.z[t]))))
    return out
