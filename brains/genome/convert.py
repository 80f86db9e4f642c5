"""Flat 2.x <-> hierarchical blueprint conversion of whole genome documents."""

from __future__ import annotations

from typing import Any

from brains.genome.limits import DEFAULT_LIMITS, GenomeLimits
from brains.genome.parser import load_genome
from brains.genome.writer import BlueprintForm, genome_to_dict


def convert_genome(
    data: bytes | str | dict[str, Any],
    *,
    to: BlueprintForm,
    limits: GenomeLimits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Validate ``data`` (either form) and return it as a document with a ``to`` blueprint."""
    return genome_to_dict(load_genome(data, limits=limits), form=to)


def flat_to_hierarchical(
    data: bytes | str | dict[str, Any], *, limits: GenomeLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    return convert_genome(data, to="hierarchical", limits=limits)


def hierarchical_to_flat(
    data: bytes | str | dict[str, Any], *, limits: GenomeLimits = DEFAULT_LIMITS
) -> dict[str, Any]:
    return convert_genome(data, to="flat", limits=limits)
