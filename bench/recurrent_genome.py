"""A recurrent, high-activity FEAGI genome for burst benchmarks (ours and FEAGI's engine).

One 128 x 128 x 1 custom area (16,384 neurons) wired to itself through a 5 x 5 neighbourhood
(24 vectors, ~390k synapses). Threshold 1, PSC 1, no refractory period: once every neuron
is stimulated, each burst fires the whole area again, so every burst delivers every synapse.
Built from FEAGI's own barebones genome so both engines read it as a normal 2.0 file.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from brains.genome import template_bytes

__all__ = ["AREA_ID", "SIDE", "recurrent_genome"]

AREA_ID = "c_recr"
SIDE = 128
_MORPHOLOGY = "neighbourhood_5x5"


def recurrent_genome(side: int = SIDE) -> dict[str, Any]:
    """The genome as a JSON object (flat 2.0 blueprint)."""
    genome: dict[str, Any] = json.loads(template_bytes("barebones"))
    genome = copy.deepcopy(genome)
    genome["genome_title"] = f"recurrent {side}x{side} benchmark"
    genome["neuron_morphologies"][_MORPHOLOGY] = {
        "parameters": {
            "vectors": [
                [dx, dy, 0] for dx in range(-2, 3) for dy in range(-2, 3) if (dx, dy) != (0, 0)
            ]
        },
        "type": "vectors",
        "class": "custom",
    }
    genes: dict[str, Any] = {
        "cx-__name-t": "recurrent",
        "cx-_group-t": "CUSTOM",
        "cx-subgrp-t": "",
        "cx-_n_cnt-i": 1,
        "cx-___bbx-i": side,
        "cx-___bby-i": side,
        "cx-___bbz-i": 1,
        "cx-rcordx-i": 0,
        "cx-rcordy-i": 0,
        "cx-rcordz-i": 10,
        "cx-2dcorx-i": 100,
        "cx-2dcory-i": 0,
        "cx-gd_vis-b": True,
        "cx-synatt-f": 100.0,
        "cx-de_gen-f": 0.0,
        "cx-pspuni-b": True,
        "cx-dstmap-d": {AREA_ID: [[_MORPHOLOGY, [1, 1, 1], 1.0, False]]},
        "nx-pstcr_-f": 1.0,
        "nx-pstcrm-f": 35.0,
        "nx-fire_t-f": 1.0,
        "nx-refrac-i": 0,
        "nx-leak_c-f": 0.0,
        "nx-leak_v-f": 0.0,
        "nx-c_fr_c-i": 0,
        "nx-snooze-f": 0,
        "nx-ftincx-f": 0.0,
        "nx-ftincy-f": 0.0,
        "nx-ftincz-f": 0.0,
        "nx-fthlim-f": 0.0,
        "nx-mp_acc-b": False,
        "nx-mp_psp-b": False,
        "nx-excite-f": 100.0,
        "cx-memory-b": False,
        "cx-mem__t-i": 100,
        "cx-mem_gr-i": 1,
        "cx-mem_ls-i": 9,
    }
    for gene, value in genes.items():
        genome["blueprint"][f"_____10c-{AREA_ID}-{gene}"] = value
    return genome
