"""Small genome documents for tests, built the way FEAGI writes them (flat 2.x genes)."""

from __future__ import annotations

import copy
import json
from typing import Any

from shared_data import GENOMES_DIR, PROJECT_ROOT, REAL_GENOME_FILES, real_genome_path

__all__ = ["GENOMES_DIR", "PROJECT_ROOT", "REAL_GENOME_FILES", "real_genome_path"]


def gene(cortical_id: str, name: str) -> str:
    """The flat key of gene ``name`` (e.g. ``cx-___bbx-i``) of ``cortical_id``."""
    return f"_____10c-{cortical_id}-{name}"


def area_genes(
    cortical_id: str,
    *,
    group: str = "CUSTOM",
    dims: tuple[int, int, int] = (2, 2, 1),
    dstmap: dict[str, Any] | None = None,
) -> dict[str, Any]:
    x, y, z = dims
    genes = {
        "cx-__name-t": f"area {cortical_id}",
        "cx-_group-t": group,
        "cx-subgrp-t": "",
        "cx-_n_cnt-i": 1,
        "cx-___bbx-i": x,
        "cx-___bby-i": y,
        "cx-___bbz-i": z,
        "cx-rcordx-i": 0,
        "cx-rcordy-i": 0,
        "cx-rcordz-i": 0,
        "cx-2dcorx-i": 0,
        "cx-2dcory-i": 0,
        "cx-gd_vis-b": True,
        "cx-synatt-f": 100,
        "cx-dstmap-d": dstmap or {},
        "cx-de_gen-f": 0,
        "cx-pspuni-b": False,
        "nx-pstcr_-f": 1,
        "nx-pstcrm-f": 35,
        "nx-fire_t-f": 1,
        "nx-refrac-i": 0,
        "nx-leak_c-f": 0,
        "nx-snooze-f": 0,
        "nx-excite-f": 100,
    }
    return {gene(cortical_id, name): value for name, value in genes.items()}


def genome_doc(
    *areas: dict[str, Any],
    morphologies: dict[str, Any] | None = None,
    version: str = "2.0",
    **top_level: Any,
) -> dict[str, Any]:
    blueprint: dict[str, Any] = {}
    for genes in areas:
        blueprint.update(genes)
    document: dict[str, Any] = {
        "genome_id": "test-genome",
        "genome_title": "Test genome",
        "genome_description": "",
        "version": version,
        "neuron_morphologies": morphologies
        if morphologies is not None
        else {
            "projector": {"parameters": {}, "type": "functions", "class": "core"},
            "block_to_block": {
                "parameters": {"vectors": [[0, 0, 0]]},
                "type": "vectors",
                "class": "core",
            },
        },
        "physiology": {"burst_delay": 0.025},
        "blueprint": blueprint,
    }
    document.update(top_level)
    return document


def two_area_doc() -> dict[str, Any]:
    """``src___`` maps onto ``dst___`` with a projector; both 2x2x1."""
    return genome_doc(
        area_genes("src___", dstmap={"dst___": [["projector", [1, 1, 1], 1, False]]}),
        area_genes("dst___"),
    )


def mutated(document: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(document)


def as_bytes(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()
