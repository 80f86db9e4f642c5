"""``neuron_morphologies`` -> typed Morphology objects (vectors, patterns, functions, composite)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, cast

from brains.genome.collector import SectionParser
from brains.genome.core_morphologies import CORE_MORPHOLOGIES, FUNCTION_MORPHOLOGIES
from brains.genome.errors import ErrorKind
from brains.genome.model import (
    CompositeSpec,
    Morphology,
    MorphologyType,
    PatternElement,
    PatternPair,
    Vec3,
)
from brains.genome.paths import child
from brains.genome.patterns import PatternSyntaxError, parse_pattern_element
from brains.genome.values import as_int, as_vec3, describe

_MORPHOLOGY_TYPES = frozenset(t.value for t in MorphologyType)


class MorphologyParser(SectionParser):
    """Parses ``neuron_morphologies``; references to mapper morphologies are checked too."""

    def parse_morphologies(self, doc: dict[str, Any]) -> dict[str, Morphology]:
        raw = doc.get("neuron_morphologies")
        if raw is None:
            return {}
        if not isinstance(raw, dict):
            self.error(
                "$.neuron_morphologies",
                ErrorKind.WRONG_TYPE,
                "'neuron_morphologies' must be an object",
            )
            return {}
        parsed: dict[str, Morphology] = {}
        for name, body in raw.items():
            morphology = self.parse_morphology(name, body, child("$.neuron_morphologies", name))
            if morphology is not None:
                parsed[name] = morphology
        known = set(raw) | set(CORE_MORPHOLOGIES)
        for name, morphology in parsed.items():
            spec = morphology.composite
            if spec is not None and spec.mapper_morphology not in known:
                self.error(
                    child(
                        child(child("$.neuron_morphologies", name), "parameters"),
                        "mapper_morphology",
                    ),
                    ErrorKind.UNKNOWN_MORPHOLOGY,
                    f"mapper morphology {spec.mapper_morphology!r} is not defined",
                )
        return parsed

    def parse_morphology(self, name: str, body: object, path: str) -> Morphology | None:
        if not isinstance(body, dict):
            self.error(path, ErrorKind.WRONG_TYPE, "a morphology must be an object")
            return None
        raw_type = body.get("type")
        if isinstance(raw_type, str) and raw_type in _MORPHOLOGY_TYPES:
            kind = MorphologyType(raw_type)
        else:
            allowed = ", ".join(t.value for t in MorphologyType)
            self.error(
                child(path, "type"),
                ErrorKind.UNKNOWN_MORPHOLOGY_TYPE,
                f"morphology type {raw_type!r} must be one of {allowed}",
            )
            return None
        klass = body.get("class")
        if klass is not None and not isinstance(klass, str):
            self.error(child(path, "class"), ErrorKind.WRONG_TYPE, "'class' must be a string")
            return None
        parameters = body.get("parameters", {} if kind is MorphologyType.FUNCTIONS else None)
        params_path = child(path, "parameters")
        if not isinstance(parameters, dict):
            self.error(
                params_path if "parameters" in body else path,
                ErrorKind.WRONG_TYPE if "parameters" in body else ErrorKind.MISSING_KEY,
                "a morphology needs a 'parameters' object",
            )
            return None
        extra = {k: v for k, v in body.items() if k not in ("type", "class", "parameters")}
        base = Morphology(name, kind, parameters, klass, extra=extra)
        errors_before = len(self.errors)
        result = base
        if kind is MorphologyType.VECTORS:
            result = self._with(base, vectors=self.parse_vectors(parameters, params_path))
        elif kind is MorphologyType.PATTERNS:
            result = self._with(base, patterns=self.parse_patterns(parameters, params_path))
        elif kind is MorphologyType.COMPOSITE:
            result = self._with(base, composite=self.parse_composite(parameters, params_path))
        elif name not in FUNCTION_MORPHOLOGIES:
            self.error(
                path,
                ErrorKind.UNKNOWN_FUNCTION,
                f"function morphology {name!r} is not a FEAGI function; known: "
                + ", ".join(sorted(FUNCTION_MORPHOLOGIES)),
            )
        return result if len(self.errors) == errors_before else None

    @staticmethod
    def _with(base: Morphology, **changes: Any) -> Morphology:
        return replace(base, **changes)

    def parse_vectors(self, parameters: dict[str, Any], path: str) -> tuple[Vec3, ...]:
        raw = parameters.get("vectors")
        vectors_path = child(path, "vectors")
        if not isinstance(raw, list):
            self.error(
                vectors_path, ErrorKind.MALFORMED_VECTOR, "'vectors' must be a list of [x, y, z]"
            )
            return ()
        vectors: list[Vec3] = []
        for index, item in enumerate(raw):
            vector = as_vec3(item)
            if vector is None:
                self.error(
                    child(vectors_path, index),
                    ErrorKind.MALFORMED_VECTOR,
                    f"a vector must be a list of 3 integers, not {describe(item)}",
                )
            else:
                vectors.append(vector)
        return tuple(vectors)

    def parse_patterns(self, parameters: dict[str, Any], path: str) -> tuple[PatternPair, ...]:
        raw = parameters.get("patterns")
        patterns_path = child(path, "patterns")
        if not isinstance(raw, list):
            self.error(
                patterns_path,
                ErrorKind.MALFORMED_PATTERN,
                "'patterns' must be a list of [source, destination]",
            )
            return ()
        pairs: list[PatternPair] = []
        for index, pair in enumerate(raw):
            pair_path = child(patterns_path, index)
            if not isinstance(pair, list) or len(pair) != 2:
                self.error(
                    pair_path,
                    ErrorKind.MALFORMED_PATTERN,
                    "a pattern must be a pair [[sx, sy, sz], [dx, dy, dz]]",
                )
                continue
            sides: list[tuple[PatternElement, PatternElement, PatternElement]] = []
            for side_index, side in enumerate(pair):
                side_path = child(pair_path, side_index)
                if not isinstance(side, list) or len(side) != 3:
                    self.error(
                        side_path,
                        ErrorKind.MALFORMED_PATTERN,
                        "a pattern side must be a list of 3 elements",
                    )
                    continue
                elements: list[PatternElement] = []
                for axis, raw_element in enumerate(side):
                    try:
                        elements.append(parse_pattern_element(raw_element))
                    except PatternSyntaxError as exc:
                        self.error(child(side_path, axis), ErrorKind.MALFORMED_PATTERN, str(exc))
                if len(elements) == 3:
                    sides.append((elements[0], elements[1], elements[2]))
            if len(sides) == 2:
                pairs.append(PatternPair(sides[0], sides[1]))
        return tuple(pairs)

    def parse_composite(self, parameters: dict[str, Any], path: str) -> CompositeSpec | None:
        seed = as_vec3(parameters.get("src_seed"))
        if seed is None or min(seed) < 1:
            self.error(
                child(path, "src_seed"),
                ErrorKind.MALFORMED_COMPOSITE,
                "src_seed must be a list of 3 integers >= 1",
            )
        raw_pattern = parameters.get("src_pattern")
        pattern: list[tuple[int, int]] = []
        if isinstance(raw_pattern, list) and len(raw_pattern) == 3:
            for item in raw_pattern:
                if (
                    isinstance(item, list)
                    and len(item) == 2
                    and all(as_int(v) is not None and cast(int, as_int(v)) >= 0 for v in item)
                ):
                    pattern.append((cast(int, as_int(item[0])), cast(int, as_int(item[1]))))
        if len(pattern) != 3:
            self.error(
                child(path, "src_pattern"),
                ErrorKind.MALFORMED_COMPOSITE,
                "src_pattern must be 3 pairs [choose, skip] of integers >= 0",
            )
        mapper = parameters.get("mapper_morphology")
        if not isinstance(mapper, str) or not mapper:
            self.error(
                child(path, "mapper_morphology"),
                ErrorKind.MALFORMED_COMPOSITE,
                "mapper_morphology must name a morphology",
            )
        if (
            seed is None
            or min(seed) < 1
            or len(pattern) != 3
            or not isinstance(mapper, str)
            or not mapper
        ):
            return None
        return CompositeSpec(seed, (pattern[0], pattern[1], pattern[2]), mapper)
