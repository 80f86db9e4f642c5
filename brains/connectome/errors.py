"""Exceptions of ``brains.connectome``.

Every error names the thing that is wrong (area, mapping, morphology, neuron, region) and
says what to do about it, so the REST layer can pass the message straight to a user.
The classes also derive from the matching built-in (``KeyError``, ``ValueError``) so that
callers who only care about "not found" vs "invalid" can catch those.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AreaExistsError",
    "ConnectomeError",
    "InvalidAreaError",
    "InvalidMappingError",
    "InvalidRegionError",
    "LimitExceededError",
    "UnknownAreaError",
    "UnknownMappingError",
    "UnknownMorphologyError",
    "UnknownNeuronError",
    "UnknownRegionError",
    "UnsupportedMorphologyError",
]


class ConnectomeError(Exception):
    """Base class of every error raised by ``brains.connectome``."""

    def __str__(self) -> str:
        # KeyError would otherwise wrap the message in quotes.
        return str(self.args[0]) if self.args else self.__class__.__name__


class UnknownAreaError(ConnectomeError, KeyError):
    """A cortical id that is not an area of this connectome."""

    def __init__(self, cortical_id: str, known: list[str] | None = None) -> None:
        hint = ""
        if known is not None:
            shown = ", ".join(sorted(known)[:20])
            hint = f"; known areas: {shown}" + (" ..." if len(known) > 20 else "")
        super().__init__(f"cortical area {cortical_id!r} does not exist{hint}")
        self.cortical_id = cortical_id


class AreaExistsError(ConnectomeError, ValueError):
    """Adding an area whose cortical id is already taken."""

    def __init__(self, cortical_id: str) -> None:
        super().__init__(
            f"cortical area {cortical_id!r} already exists; choose another id or update it"
        )
        self.cortical_id = cortical_id


class InvalidAreaError(ConnectomeError, ValueError):
    """An area definition or property update that cannot be developed."""


class UnknownMappingError(ConnectomeError, KeyError):
    """A source -> destination mapping that does not exist."""

    def __init__(self, source: str, destination: str) -> None:
        super().__init__(
            f"there is no mapping from {source!r} to {destination!r}; "
            "create it with set_mapping() first"
        )
        self.source = source
        self.destination = destination


class InvalidMappingError(ConnectomeError, ValueError):
    """A mapping rule that cannot be applied (bad scalar, composite seed, ...)."""


class UnknownMorphologyError(ConnectomeError, KeyError):
    """A mapping rule names a morphology that neither the genome nor the built-ins define."""

    def __init__(self, morphology_id: str, where: str) -> None:
        super().__init__(
            f"{where}: morphology {morphology_id!r} is not defined in the genome's "
            "neuron_morphologies nor among the built-in morphologies"
        )
        self.morphology_id = morphology_id


class UnsupportedMorphologyError(ConnectomeError, ValueError):
    """A morphology kind or function this engine does not implement."""


class UnknownNeuronError(ConnectomeError, KeyError):
    """A neuron id or voxel outside the connectome."""


class UnknownRegionError(ConnectomeError, KeyError):
    """A brain region id that does not exist."""

    def __init__(self, region_id: str) -> None:
        super().__init__(f"brain region {region_id!r} does not exist")
        self.region_id = region_id


class InvalidRegionError(ConnectomeError, ValueError):
    """A region operation that would break the hierarchy (cycle, deleting the root, ...)."""


class LimitExceededError(ConnectomeError, ValueError):
    """Development would exceed a configured limit (areas, neurons, synapses).

    ``resource`` names the `DevelopmentLimits` field's resource that stopped development
    (None for the engine's fixed caps: synapse groups, rules per mapping, voxel widths), so a
    caller that lowered one limit can tell its own refusal from another. ``count`` is what
    the brain would have had, when known: neurons and areas are counted before anything is
    grown; synapses are not (development stops at the first mapping that does not fit).
    """

    def __init__(self, message: str, *,
                 resource: Literal["areas", "neurons", "synapses"] | None = None,
                 count: int | None = None) -> None:
        super().__init__(message)
        self.resource = resource
        self.count = count
