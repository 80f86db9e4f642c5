"""The FEAGI genome format: parse, validate, save, convert, sign; no I/O of its own.

Load with :func:`load_genome` (bytes, text or a decoded dict; flat 2.x or hierarchical
blueprints), save with :func:`dumps_genome` / :func:`genome_to_dict`.
"""

from brains.genome.convert import convert_genome, flat_to_hierarchical, hierarchical_to_flat
from brains.genome.core_morphologies import (
    CORE_MORPHOLOGIES,
    FUNCTION_MORPHOLOGIES,
    resolve_morphology,
)
from brains.genome.errors import (
    ErrorKind,
    GenomeBaseError,
    GenomeError,
    GenomeLimitError,
    GenomeValidationError,
    UnknownTemplateError,
)
from brains.genome.limits import (
    DEFAULT_LIMITS,
    GenomeLimits,
    check_file_size,
    estimate_synapses,
)
from brains.genome.model import (
    BrainRegion,
    CompositeSpec,
    Coordinate2D,
    CorticalArea,
    CorticalGroup,
    Genome,
    JsonObject,
    JsonValue,
    MappingRule,
    Morphology,
    MorphologyType,
    PatternElement,
    PatternKind,
    PatternPair,
    Physiology,
    Vec3,
    Vec3f,
)
from brains.genome.parser import load_genome
from brains.genome.patterns import PatternSyntaxError, parse_pattern_element
from brains.genome.signatures import canonical_json, compute_signatures
from brains.genome.templates import TEMPLATE_NAMES, load_template, template_bytes
from brains.genome.writer import BlueprintForm, dumps_genome, genome_to_dict

__all__ = [
    "CORE_MORPHOLOGIES",
    "DEFAULT_LIMITS",
    "FUNCTION_MORPHOLOGIES",
    "TEMPLATE_NAMES",
    "BlueprintForm",
    "BrainRegion",
    "CompositeSpec",
    "Coordinate2D",
    "CorticalArea",
    "CorticalGroup",
    "ErrorKind",
    "Genome",
    "GenomeBaseError",
    "GenomeError",
    "GenomeLimitError",
    "GenomeLimits",
    "GenomeValidationError",
    "JsonObject",
    "JsonValue",
    "MappingRule",
    "Morphology",
    "MorphologyType",
    "PatternElement",
    "PatternKind",
    "PatternPair",
    "PatternSyntaxError",
    "Physiology",
    "UnknownTemplateError",
    "Vec3",
    "Vec3f",
    "canonical_json",
    "check_file_size",
    "compute_signatures",
    "convert_genome",
    "dumps_genome",
    "estimate_synapses",
    "flat_to_hierarchical",
    "genome_to_dict",
    "hierarchical_to_flat",
    "load_genome",
    "load_template",
    "parse_pattern_element",
    "resolve_morphology",
    "template_bytes",
]
