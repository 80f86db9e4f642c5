"""FEAGI's built-in ("core") morphologies, available to every genome.

A genome may reference these without defining them; when it does define one with the
same name, the genome's own definition wins (see docs/feagi-compatibility.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from brains.genome.model import (
    CompositeSpec,
    Genome,
    Morphology,
    MorphologyType,
    PatternElement,
    PatternKind,
    PatternPair,
    Vec3,
)

FUNCTION_MORPHOLOGIES: frozenset[str] = frozenset(
    {
        # Python FEAGI's synaptogenesis functions.
        "projector",
        "projector_xy",
        "projector_xz",
        "projector_yz",
        "project_from_end_x",
        "project_from_end_y",
        "project_from_end_z",
        "last_to_first",
        "memory",
        "randomizer",
        "expander_x",
        "reducer_x",
        "lateral_pairs_x",
        "block_connection",
        # feagi-core additions.
        "episodic_memory",
        "memory_replay",
        "associative_memory",
    }
)
"""Names a ``functions`` morphology may have: the function is chosen by name."""


def _vectors(name: str, *vectors: tuple[int, int, int]) -> Morphology:
    return Morphology(
        morphology_id=name,
        type=MorphologyType.VECTORS,
        parameters={"vectors": [list(v) for v in vectors]},
        morphology_class="core",
        vectors=tuple(Vec3(*v) for v in vectors),
    )


def _element(raw: int | str) -> PatternElement:
    if isinstance(raw, int):
        return PatternElement(PatternKind.EXACT, raw, value=raw)
    return PatternElement(PatternKind(raw), raw)


def _pattern(name: str, source: list[int | str], destination: list[int | str]) -> Morphology:
    src = (_element(source[0]), _element(source[1]), _element(source[2]))
    dst = (_element(destination[0]), _element(destination[1]), _element(destination[2]))
    return Morphology(
        morphology_id=name,
        type=MorphologyType.PATTERNS,
        parameters={"patterns": [[list(source), list(destination)]]},
        morphology_class="core",
        patterns=(PatternPair(src, dst),),
    )


def _function(name: str) -> Morphology:
    return Morphology(
        morphology_id=name,
        type=MorphologyType.FUNCTIONS,
        parameters={},
        morphology_class="core",
    )


def _build() -> dict[str, Morphology]:
    table: dict[str, Morphology] = {}
    for morphology in (
        _vectors("block_to_block", (0, 0, 0)),
        _vectors("lateral_+x", (1, 0, 0)),
        _vectors("lateral_-x", (-1, 0, 0)),
        _vectors("lateral_+y", (0, 1, 0)),
        _vectors("lateral_-y", (0, -1, 0)),
        _vectors("lateral_+z", (0, 0, 1)),
        _vectors("lateral_-z", (0, 0, -1)),
        _pattern("0-0-0_to_all", [0, 0, 0], ["*", "*", "*"]),
        _pattern("all_to_0-0-0", ["*", "*", "*"], [0, 0, 0]),
        _pattern("all_to_all", ["?", "?", "?"], ["*", "*", "*"]),
        Morphology(
            morphology_id="tile",
            type=MorphologyType.COMPOSITE,
            parameters={
                "src_seed": [16, 16, 1],
                "src_pattern": [[1, 0], [1, 0], [1, 0]],
                "mapper_morphology": "projector",
            },
            morphology_class="core",
            composite=CompositeSpec(Vec3(16, 16, 1), ((1, 0), (1, 0), (1, 0)), "projector"),
        ),
    ):
        table[morphology.morphology_id] = morphology
    for name in sorted(FUNCTION_MORPHOLOGIES):
        table[name] = _function(name)
    return table


CORE_MORPHOLOGIES: Mapping[str, Morphology] = MappingProxyType(_build())


def resolve_morphology(genome: Genome, morphology_id: str) -> Morphology:
    """The morphology a mapping rule means: the genome's own, else the built-in one.

    Raises ``KeyError`` when neither exists (a validated genome never does that).
    """
    own = genome.morphologies.get(morphology_id)
    if own is not None:
        return own
    return CORE_MORPHOLOGIES[morphology_id]
