"""The core areas the FEAGI engine adds to every genome.

(Built-in morphologies live with the genome model: ``brains.genome.CORE_MORPHOLOGIES``.)
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from brains.genome.model import CorticalArea, CorticalGroup, Vec3

__all__ = [
    "CORE_AREAS",
    "CoreArea",
    "core_kind",
    "missing_core_areas",
]


@dataclass(frozen=True, slots=True)
class CoreArea:
    """One of the seven single-neuron core areas the engine always has."""

    kind: str
    cortical_id: str
    """The id we give the area when the genome does not define it (feagi-core's bytes)."""
    name: str

    def as_area(self) -> CorticalArea:
        return CorticalArea(
            cortical_id=self.cortical_id,
            name=self.name,
            group=CorticalGroup.CORE,
            dimensions=Vec3(1, 1, 1),
        )


CORE_AREAS: Final = (
    CoreArea("death", "___death", "Death"),
    CoreArea("power", "___power", "Brain_Power"),
    CoreArea("fatigue", "___fatig", "Fatigue"),
    CoreArea("pain", "___pain_", "Pain"),
    CoreArea("pleasure", "___pleas", "Pleasure"),
    CoreArea("fear", "___fear_", "Fear"),
    CoreArea("hope", "___hope_", "Hope"),
)

# Core ids start with "_"; with the padding underscores removed they spell one of these.
_CORE_STEMS: Final = MappingProxyType({
    "death": "death", "pwr": "power", "power": "power", "fatig": "fatigue",
    "fatigue": "fatigue", "pain": "pain", "pleas": "pleasure", "pleasure": "pleasure",
    "fear": "fear", "hope": "hope",
})


def core_kind(cortical_id: str) -> str | None:
    """Which core area a genome id denotes (``___pwr``, ``_power`` -> ``"power"``), if any."""
    if not cortical_id.startswith("_"):
        return None
    return _CORE_STEMS.get(cortical_id.replace("_", "").lower())


def missing_core_areas(cortical_ids: list[str]) -> list[CorticalArea]:
    """The core areas a genome lacks, in the engine's order, ready to be appended."""
    present = {core_kind(cid) for cid in cortical_ids}
    return [core.as_area() for core in CORE_AREAS if core.kind not in present]
