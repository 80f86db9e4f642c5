"""Neuroembryogenesis: a genome in, a developed :class:`Connectome` out."""

from __future__ import annotations

from brains.connectome.builtins import missing_core_areas
from brains.connectome.connectome import DEFAULT_LIMITS, Connectome, DevelopmentLimits
from brains.genome.model import BrainRegion, CorticalArea, Genome

__all__ = ["ROOT_REGION_ID", "develop"]

ROOT_REGION_ID = "root"
"""Id of the region created for genomes without ``brain_regions``."""


def _regions(genome: Genome, added: list[CorticalArea]) -> dict[str, BrainRegion]:
    regions = dict(genome.brain_regions or {})
    root = next((rid for rid, r in regions.items() if r.parent_region_id is None), None)
    if root is None:
        placed = {a for r in regions.values() for a in r.areas}
        regions[ROOT_REGION_ID] = BrainRegion(
            ROOT_REGION_ID, title="Genome's root brain region",
            areas=tuple(cid for cid in genome.areas if cid not in placed),
            regions=tuple(rid for rid, r in regions.items() if r.parent_region_id is None),
        )
        root = ROOT_REGION_ID
    if added:
        base = regions[root]
        regions[root] = BrainRegion(
            base.region_id, base.title, base.description, base.parent_region_id,
            base.coordinate_2d, base.coordinate_3d,
            (*base.areas, *(a.cortical_id for a in added)), base.regions, base.inputs,
            base.outputs, base.extra)
    return regions


def develop(genome: Genome, *, seed: int = 0, limits: DevelopmentLimits = DEFAULT_LIMITS,
            cap: DevelopmentLimits | None = None) -> Connectome:
    """Grow a brain from a genome: corticogenesis, voxelogenesis, neurogenesis, synaptogenesis.

    The seven core areas the FEAGI engine always has (Death, Brain_Power, Fatigue, Pain,
    Pleasure, Fear, Hope) are added when the genome lacks them. ``seed`` drives every
    random choice (synapse attractivity, ``randomizer``): the same genome and seed give
    the same connectome. ``cap`` lowers ``limits`` for this development only; the
    connectome keeps ``limits`` for its later edits (see :meth:`Connectome.limited`).
    """
    added = missing_core_areas(list(genome.areas))
    areas = [*genome.areas.values(), *added]
    return Connectome(areas, genome.morphologies, _regions(genome, added), seed=seed,
                      limits=limits, cap=cap)
