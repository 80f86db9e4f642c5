"""Exceptions of ``brains.genome`` and the error record they carry."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    """The rule a genome broke; stable codes that tests and API clients can match on."""

    INVALID_JSON = "invalid_json"
    FILE_TOO_LARGE = "file_too_large"
    MISSING_KEY = "missing_key"
    UNKNOWN_KEY = "unknown_key"
    WRONG_TYPE = "wrong_type"
    OUT_OF_RANGE = "out_of_range"
    UNSUPPORTED_VERSION = "unsupported_version"
    MALFORMED_GENE_KEY = "malformed_gene_key"
    UNKNOWN_GENE = "unknown_gene"
    MISSING_GENE = "missing_gene"
    GENE_TYPE_SUFFIX = "gene_type_suffix"
    CONFLICTING_GENES = "conflicting_genes"
    MIXED_BLUEPRINT = "mixed_blueprint"
    INVALID_CORTICAL_ID = "invalid_cortical_id"
    NON_POSITIVE_DIMENSION = "non_positive_dimension"
    MISSING_AREA = "missing_area"
    UNKNOWN_MORPHOLOGY = "unknown_morphology"
    UNKNOWN_MORPHOLOGY_TYPE = "unknown_morphology_type"
    UNKNOWN_FUNCTION = "unknown_function"
    MALFORMED_VECTOR = "malformed_vector"
    MALFORMED_PATTERN = "malformed_pattern"
    MALFORMED_COMPOSITE = "malformed_composite"
    BAD_RULE_ARITY = "bad_rule_arity"
    MISSING_REGION = "missing_region"
    LIMIT_EXCEEDED = "limit_exceeded"


@dataclass(frozen=True, slots=True)
class GenomeError:
    """One problem found in a genome: where (a JSON path from ``$``), which rule, and why."""

    path: str
    kind: ErrorKind
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.kind}]"


class GenomeBaseError(Exception):
    """Base class of every exception raised by ``brains.genome``."""


class GenomeValidationError(GenomeBaseError):
    """The genome is not valid; ``errors`` lists every problem found, in the order found."""

    def __init__(self, errors: list[GenomeError]) -> None:
        self.errors = list(errors)
        count = len(self.errors)
        head = "; ".join(str(e) for e in self.errors[:3])
        more = f" (and {count - 3} more)" if count > 3 else ""
        super().__init__(f"{count} genome error{'s' if count != 1 else ''}: {head}{more}")


class GenomeLimitError(GenomeValidationError):
    """The genome exceeds a configured limit (size, areas, neurons or synapses)."""


class UnknownTemplateError(GenomeBaseError, LookupError):
    """No built-in genome template has that name."""
