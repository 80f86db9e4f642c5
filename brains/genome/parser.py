"""Genome JSON -> :class:`~brains.genome.model.Genome`, collecting every error with its path.

Both blueprint forms are accepted: flat 2.x genes (``_____10c-<id>-cx-___bbx-i``) and the
hierarchical form (``blueprint[cortical_id] = {property: value}``). Parsing never stops at
the first problem: each error is recorded with the JSON path of the offending value, and
one :class:`GenomeValidationError` listing all of them is raised at the end. The sections
are parsed by ``area_parser``, ``rule_parser``, ``morphology_parser`` and
``metadata_parser``; this module puts them together and checks references between them.
"""

from __future__ import annotations

import copy
from typing import Any, cast

from brains.genome.area_parser import AreaParser, AreaSource
from brains.genome.collector import ErrorCollector, SectionParser
from brains.genome.core_morphologies import CORE_MORPHOLOGIES
from brains.genome.decode import decode_document
from brains.genome.errors import ErrorKind, GenomeError, GenomeLimitError
from brains.genome.limits import DEFAULT_LIMITS, GenomeLimits, check_limits
from brains.genome.metadata_parser import MetadataParser
from brains.genome.model import CorticalArea, Genome
from brains.genome.morphology_parser import MorphologyParser
from brains.genome.paths import ROOT, child

_TOP_LEVEL_KEYS = frozenset(
    {
        "genome_id",
        "genome_title",
        "genome_description",
        "version",
        "neuron_morphologies",
        "hosts",
        "physiology",
        "stats",
        "signatures",
        "timestamp",
        "brain_regions",
        "blueprint",
    }
)


def load_genome(
    data: bytes | str | dict[str, Any], *, limits: GenomeLimits = DEFAULT_LIMITS
) -> Genome:
    """Parse and validate a genome given as JSON bytes, JSON text or an already decoded dict.

    Raises :class:`GenomeValidationError` listing every error found (each with its JSON
    path), or :class:`GenomeLimitError` when a configured limit is exceeded; limits are
    checked before anything proportional to the brain's size is built. The file-size limit
    applies to bytes and text only: a dict is already decoded (pass the raw body instead
    when it comes from an untrusted client).
    """
    # A caller's dict is copied so the immutable model never shares its lists and dicts.
    document = copy.deepcopy(data) if isinstance(data, dict) else decode_document(data, limits)
    return _GenomeParser(limits).parse(document)


class _GenomeParser(SectionParser):
    def __init__(self, limits: GenomeLimits) -> None:
        super().__init__(ErrorCollector())
        self.limits = limits

    def parse(self, document: object) -> Genome:
        if not isinstance(document, dict):
            self.error(ROOT, ErrorKind.WRONG_TYPE, "a genome must be a JSON object")
            self.sink.fail_if_errors()
        doc = cast(dict[str, Any], document)
        meta = MetadataParser(self.sink)
        areas_parser = AreaParser(self.sink)

        version = meta.parse_version(doc)
        blueprint = doc.get("blueprint")
        if blueprint is None:
            self.error(ROOT, ErrorKind.MISSING_KEY, "missing key 'blueprint'")
            blueprint = {}
        elif not isinstance(blueprint, dict):
            self.error("$.blueprint", ErrorKind.WRONG_TYPE, "'blueprint' must be an object")
            blueprint = {}
        sources, comments = areas_parser.collect_area_sources(blueprint)
        if len(sources) > self.limits.max_areas:
            raise GenomeLimitError(
                [
                    GenomeError(
                        "$.blueprint",
                        ErrorKind.LIMIT_EXCEEDED,
                        f"genome has {len(sources)} cortical areas; the limit is "
                        f"{self.limits.max_areas}",
                    )
                ]
            )

        morphologies = MorphologyParser(self.sink).parse_morphologies(doc)
        areas: dict[str, CorticalArea] = {}
        for source in sources.values():
            area = areas_parser.build_area(source)
            if area is not None:
                areas[area.cortical_id] = area
        defined = doc.get("neuron_morphologies")
        names = set(defined) if isinstance(defined, dict) else set()
        self.check_mapping_targets(sources, names | set(CORE_MORPHOLOGIES))
        physiology = meta.parse_physiology(doc)
        regions = meta.parse_regions(doc, sources)

        genome_id = meta.optional_str(doc, "genome_id", ROOT, "")
        title = meta.optional_str(doc, "genome_title", ROOT, "")
        description = meta.optional_str(doc, "genome_description", ROOT, "", nullable=True)
        timestamp = meta.parse_timestamp(doc)
        hosts = meta.optional_object(doc, "hosts", ROOT)
        stats = doc.get("stats")
        if stats is not None and not isinstance(stats, dict):
            self.error("$.stats", ErrorKind.WRONG_TYPE, "'stats' must be an object")
        signatures = meta.parse_signatures(doc)
        extra = {key: value for key, value in doc.items() if key not in _TOP_LEVEL_KEYS}

        self.sink.fail_if_errors()
        genome = Genome(
            genome_id=genome_id,
            title=title,
            version=version,
            areas=areas,
            morphologies=morphologies,
            physiology=physiology,
            description=description,
            timestamp=timestamp,
            brain_regions=regions,
            hosts=hosts if hosts is not None else {},
            stats=stats,
            signatures=signatures,
            blueprint_comments=comments,
            extra=extra,
        )
        check_limits(genome, self.limits)
        return genome

    def check_mapping_targets(
        self, sources: dict[str, AreaSource], morphology_names: set[str]
    ) -> None:
        """Every rule's destination and morphology must exist (including in areas with
        other errors, so that one run reports everything)."""
        for source in sources.values():
            _, mapping_path = source.components.get("cortical_mapping_dst", (None, ""))
            for destination, rules in source.mappings.items():
                dst_path = child(mapping_path, destination)
                if destination not in sources:
                    self.error(
                        dst_path,
                        ErrorKind.MISSING_AREA,
                        f"area {source.cortical_id!r} maps to {destination!r}, which is not in "
                        "the blueprint",
                    )
                for index, rule in enumerate(rules):
                    if rule.morphology_id not in morphology_names:
                        self.error(
                            child(dst_path, index),
                            ErrorKind.UNKNOWN_MORPHOLOGY,
                            f"morphology {rule.morphology_id!r} is neither in "
                            "neuron_morphologies nor a built-in morphology",
                        )
