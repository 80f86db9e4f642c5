"""Neuroembryogenesis: FEAGI genomes grown into connectomes of numpy arrays.

``develop(genome)`` runs corticogenesis (the genome's areas plus the engine's core areas),
voxelogenesis, neurogenesis and synaptogenesis (every morphology kind, vectorised) and
returns a :class:`Connectome`, which the REST layer edits (areas, regions, mappings) and
:func:`to_network_spec` hands to the burst engine.
"""

from brains.connectome.builtins import CORE_AREAS, CoreArea, core_kind
from brains.connectome.connectome import (
    DEFAULT_LIMITS,
    AreaCounts,
    Connectome,
    ConnectomeCounts,
    DevelopmentLimits,
    NeuronInfo,
    Redevelopment,
    SynapseGroup,
    Synapses,
)
from brains.connectome.develop import ROOT_REGION_ID, develop
from brains.connectome.errors import (
    AreaExistsError,
    ConnectomeError,
    InvalidAreaError,
    InvalidMappingError,
    InvalidRegionError,
    LimitExceededError,
    UnknownAreaError,
    UnknownMappingError,
    UnknownMorphologyError,
    UnknownNeuronError,
    UnknownRegionError,
    UnsupportedMorphologyError,
)
from brains.connectome.neurogenesis import Neurons
from brains.connectome.npu_spec import to_network_spec
from brains.connectome.synaptogenesis import MappingSynapses, rule_voxel_pairs

__all__ = [
    "CORE_AREAS",
    "DEFAULT_LIMITS",
    "ROOT_REGION_ID",
    "AreaCounts",
    "AreaExistsError",
    "Connectome",
    "ConnectomeCounts",
    "ConnectomeError",
    "CoreArea",
    "DevelopmentLimits",
    "InvalidAreaError",
    "InvalidMappingError",
    "InvalidRegionError",
    "LimitExceededError",
    "MappingSynapses",
    "NeuronInfo",
    "Neurons",
    "Redevelopment",
    "SynapseGroup",
    "Synapses",
    "UnknownAreaError",
    "UnknownMappingError",
    "UnknownMorphologyError",
    "UnknownNeuronError",
    "UnknownRegionError",
    "UnsupportedMorphologyError",
    "core_kind",
    "develop",
    "rule_voxel_pairs",
    "to_network_spec",
]
