"""The FEAGI engine's measured counts, transcribed from shared/reference/feagi-counts.md.

Areas are keyed by the genome's own cortical id; the core areas the engine adds are keyed
by the ids we give them (``___death``, ``___fatig``, ...). Where we deliberately differ
from the engine (two engine bugs the issue tells us not to copy) the row carries both
figures: ``feagi`` is what the engine built, ``ours`` what we must build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared_data import GENOMES_DIR

GENOMES = GENOMES_DIR


@dataclass(frozen=True)
class Area:
    cortical_id: str
    name: str
    group: str
    dims: tuple[int, int, int]
    neurons: int
    synapses_in: int
    synapses_out: int
    npv: int = 1


@dataclass(frozen=True)
class Mapping:
    source: str
    destination: str
    morphologies: tuple[str, ...]
    synapses: int
    """Synapses we build (= the engine's distinct neuron pairs)."""
    psp: float
    weight: float


@dataclass(frozen=True)
class Expected:
    file: str
    cortical_areas: int
    neurons_log: int
    """The engine's log line: every neuron, the 7 core areas included."""
    neurons_health_check: int
    """``health_check.neuron_count``: the core areas left out."""
    synapses_feagi: int
    synapses: int
    areas: tuple[Area, ...]
    mappings: tuple[Mapping, ...] = ()
    per_rule: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)


def _core(*kinds: str) -> tuple[Area, ...]:
    table = {
        "death": Area("___death", "Death", "CORE", (1, 1, 1), 1, 0, 0),
        "fatigue": Area("___fatig", "Fatigue", "CORE", (1, 1, 1), 1, 0, 0),
        "pain": Area("___pain_", "Pain", "CORE", (1, 1, 1), 1, 0, 0),
        "pleasure": Area("___pleas", "Pleasure", "CORE", (1, 1, 1), 1, 0, 0),
        "fear": Area("___fear_", "Fear", "CORE", (1, 1, 1), 1, 0, 0),
        "hope": Area("___hope_", "Hope", "CORE", (1, 1, 1), 1, 0, 0),
    }
    return tuple(table[k] for k in kinds)


def _one(cid: str, name: str, syn_in: int, syn_out: int) -> Area:
    return Area(cid, name, "CUSTOM", (1, 1, 1), 1, syn_in, syn_out)


BAREBONES = Expected(
    "feagi_barebones_genome.json", 7, 7, 0, 0, 0,
    (
        Area("___pwr", "Brain_Power", "CORE", (1, 1, 1), 1, 0, 0),
        Area("_death", "Brain_Death", "CORE", (1, 1, 1), 1, 0, 0),
        *_core("fatigue", "pain", "pleasure", "fear", "hope"),
    ),
)

_VISION_8 = ("iv00BL", "vision_LL"), ("iv00BR", "vision_LR"), ("iv00ML", "vision_ML"), \
    ("iv00MR", "vision_MR"), ("iv00TL", "vision_TL"), ("iv00TR", "vision_TR")

ESSENTIAL = Expected(
    "feagi_essential_genome.json", 29, 13_851, 13_844, 400, 400,
    (
        Area("___pwr", "Brain_Power", "CORE", (1, 1, 1), 1, 0, 0),
        Area("o__mot", "motor_opu", "OPU", (8, 1, 1), 8, 8, 0),
        _one("m__lef", "turn_left", 0, 0),
        _one("m__rig", "turn_right", 0, 0),
        _one("m__for", "forward", 192, 4),
        _one("m__bac", "backward", 192, 4),
        Area("iv00_C", "vision_C", "IPU", (64, 64, 3), 12_288, 0, 0),
        Area("iv00BM", "vision_LM", "IPU", (8, 8, 3), 192, 0, 192),
        Area("iv00TM", "vision_TM", "IPU", (8, 8, 3), 192, 0, 192),
        *(Area(cid, name, "IPU", (8, 8, 3), 192, 0, 0) for cid, name in _VISION_8),
        _one("CRSMot", "M1_FW", 1, 1), _one("CIHMot", "M1_BW", 1, 1),
        _one("CKQM2_", "M2_FW", 1, 1), _one("CKYM2_", "M2_BW", 1, 1),
        _one("CO4M3_", "M3_FW", 1, 1), _one("CJWM3_", "M3_BW", 1, 1),
        _one("CTGM4_", "M4_FW", 1, 1), _one("CLWM4_", "M4_BW", 1, 1),
        *_core("death", "fatigue", "pain", "pleasure", "fear", "hope"),
    ),
    (
        Mapping("m__for", "CRSMot", ("projector",), 1, 5, 1),
        Mapping("m__for", "CKQM2_", ("projector",), 1, 5, 1),
        Mapping("m__for", "CO4M3_", ("projector",), 1, 5, 1),
        Mapping("m__for", "CTGM4_", ("projector",), 1, 5, 1),
        Mapping("m__bac", "CLWM4_", ("projector",), 1, 5, 1),
        Mapping("m__bac", "CJWM3_", ("projector",), 1, 5, 1),
        Mapping("m__bac", "CKYM2_", ("projector",), 1, 5, 1),
        Mapping("m__bac", "CIHMot", ("projector",), 1, 5, 1),
        Mapping("iv00BM", "m__bac", ("projector",), 192, 5, 1),
        Mapping("iv00TM", "m__for", ("projector",), 192, 5, 1),
        Mapping("CRSMot", "o__mot", ("0_0_0-_0_0_0",), 1, 1, 1),
        Mapping("CIHMot", "o__mot", ("0_0_0-1_0_0",), 1, 1, 1),
        Mapping("CKQM2_", "o__mot", ("0_0_0-2_0_0",), 1, 1, 1),
        Mapping("CKYM2_", "o__mot", ("0_0_0-3_0_0",), 1, 1, 1),
        Mapping("CO4M3_", "o__mot", ("0_0_0-4_0_0",), 1, 1, 1),
        Mapping("CJWM3_", "o__mot", ("0_0_0-5_0_0",), 1, 1, 1),
        Mapping("CTGM4_", "o__mot", ("0_0_0-6_0_0",), 1, 1, 1),
        Mapping("CLWM4_", "o__mot", ("0_0_0-7_0_0",), 1, 1, 1),
    ),
)

_VISION_16 = ("iic000", "vision_LL"), ("iic200", "vision_LR"), ("iic300", "vision_ML"), \
    ("iic500", "vision_MR"), ("iic600", "vision_TL"), ("iic800", "vision_TR")

CORE_ESSENTIAL = Expected(
    "feagi_core_essential_genome_v2_1.json", 30, 55_363, 55_356, 1_552, 1_552,
    (
        Area("_power", "Brain_Power", "CORE", (1, 1, 1), 1, 0, 0),
        Area("omot00", "Motor Output", "OPU", (8, 1, 1), 8, 8, 0),
        Area("ogaz00", "Central Vision Gaze Control", "OPU", (4, 1, 10), 40, 0, 0),
        Area("c__lef", "turn_left", "CUSTOM", (1, 1, 1), 1, 0, 0),
        Area("c__rig", "turn_right", "CUSTOM", (1, 1, 1), 1, 0, 0),
        Area("c__for", "forward", "CUSTOM", (1, 1, 1), 1, 768, 4),
        Area("c__bac", "backward", "CUSTOM", (1, 1, 1), 1, 768, 4),
        Area("iic400", "vision_C", "IPU", (128, 128, 3), 49_152, 0, 0),
        Area("iic100", "vision_LM", "IPU", (16, 16, 3), 768, 0, 768),
        Area("iic700", "vision_TM", "IPU", (16, 16, 3), 768, 0, 768),
        *(Area(cid, name, "IPU", (16, 16, 3), 768, 0, 0) for cid, name in _VISION_16),
        _one("cRSMot", "M1_FW", 1, 1), _one("cIHMot", "M1_BW", 1, 1),
        _one("cKQM2_", "M2_FW", 1, 1), _one("cKYM2_", "M2_BW", 1, 1),
        _one("cO4M3_", "M3_FW", 1, 1), _one("cJWM3_", "M3_BW", 1, 1),
        _one("cTGM4_", "M4_FW", 1, 1), _one("cLWM4_", "M4_BW", 1, 1),
        *_core("death", "fatigue", "pain", "pleasure", "fear", "hope"),
    ),
    (
        Mapping("c__for", "cRSMot", ("projector",), 1, 5, 1),
        Mapping("c__for", "cKQM2_", ("projector",), 1, 5, 1),
        Mapping("c__for", "cO4M3_", ("projector",), 1, 5, 1),
        Mapping("c__for", "cTGM4_", ("projector",), 1, 5, 1),
        Mapping("c__bac", "cLWM4_", ("projector",), 1, 5, 1),
        Mapping("c__bac", "cJWM3_", ("projector",), 1, 5, 1),
        Mapping("c__bac", "cKYM2_", ("projector",), 1, 5, 1),
        Mapping("c__bac", "cIHMot", ("projector",), 1, 5, 1),
        Mapping("iic100", "c__bac", ("projector",), 768, 5, 1),
        Mapping("iic700", "c__for", ("projector",), 768, 5, 1),
        Mapping("cRSMot", "omot00", ("0_0_0-_0_0_0",), 1, 1, 1),
        Mapping("cIHMot", "omot00", ("0_0_0-1_0_0",), 1, 1, 1),
        Mapping("cKQM2_", "omot00", ("0_0_0-2_0_0",), 1, 1, 1),
        Mapping("cKYM2_", "omot00", ("0_0_0-3_0_0",), 1, 1, 1),
        Mapping("cO4M3_", "omot00", ("0_0_0-4_0_0",), 1, 1, 1),
        Mapping("cJWM3_", "omot00", ("0_0_0-5_0_0",), 1, 1, 1),
        Mapping("cTGM4_", "omot00", ("0_0_0-6_0_0",), 1, 1, 1),
        Mapping("cLWM4_", "omot00", ("0_0_0-7_0_0",), 1, 1, 1),
    ),
)

# Engine: 112 synapses on 110 distinct pairs (morphologies [7,2 and [7,22 are identical and
# the engine creates both copies). We build one synapse per pair: 110.
PIONEER2 = Expected(
    "community_webots_pioneer2_basic_genome.json", 10, 228, 221, 112, 110,
    (
        Area("___pwr", "Brain_Power", "CORE", (1, 1, 1), 1, 0, 0),
        Area("_death", "Brain_Death", "CORE", (1, 1, 1), 1, 0, 0),
        Area("i_spos", "Servo position sensor", "IPU", (1, 1, 21), 21, 0, 0),
        Area("i__pro", "Proximity sensor", "IPU", (16, 1, 10), 160, 0, 110),
        Area("o__mot", "Motor control", "OPU", (4, 1, 10), 40, 110, 0),
        *_core("fatigue", "pain", "pleasure", "fear", "hope"),
    ),
    (Mapping("i__pro", "o__mot", (), 110, 1, 1),),
    {("i__pro", "o__mot"): (2,) * 56},
)

# Engine: 0 synapses (its plastic rules lack a plasticity window and it refuses them). With
# window 1, which the engine accepts, it builds 40: keepGoing 7, 2ndkeepGoing 7,
# 3rdkeepGoing 7, 4thkeepGoing 7, LTurn 6, RTurn 6. We build those 40.
SALAMANDER = Expected(
    "community_webots_salamander_avoidwalls_plasticity_genome.json", 11, 287, 280, 0, 40,
    (
        Area("___pwr", "Brain_Power", "CORE", (1, 1, 1), 1, 0, 0),
        Area("_death", "Brain_Death", "CORE", (1, 1, 1), 1, 0, 0),
        Area("i__pro", "Proximity sensor", "IPU", (2, 1, 10), 20, 0, 40),
        Area("o__mot", "Motor control", "OPU", (8, 1, 10), 80, 40, 0),
        Area("o__ser", "Servo control", "OPU", (12, 1, 10), 120, 0, 0),
        Area("o_spos", "Servo Position OPU", "OPU", (6, 1, 10), 60, 0, 0),
        *_core("fatigue", "pain", "pleasure", "fear", "hope"),
    ),
    (Mapping("i__pro", "o__mot", ("keepGoing", "2ndkeepGoing", "3rdkeepGoing",
                                  "4thkeepGoing", "LTurn", "RTurn"), 40, 1, 1),),
    {("i__pro", "o__mot"): (7, 7, 7, 7, 6, 6)},
)

ALL = (BAREBONES, ESSENTIAL, CORE_ESSENTIAL, PIONEER2, SALAMANDER)
