"""Where the suite finds ../shared (FEAGI's genomes beside the project, as in CI)."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
GENOMES_DIR = Path(
    os.environ.get("BRAINHOST_GENOMES_DIR", PROJECT_ROOT.parent / "shared" / "genomes")
)
REAL_GENOME_FILES = (
    "feagi_barebones_genome.json",
    "feagi_essential_genome.json",
    "feagi_core_essential_genome_v2_1.json",
    "community_webots_pioneer2_basic_genome.json",
    "community_webots_salamander_avoidwalls_plasticity_genome.json",
)


def real_genome_path(name: str) -> Path:
    """A real FEAGI genome from ../shared/genomes; fails clearly when it is not there."""
    path = GENOMES_DIR / name
    assert path.is_file(), f"real genome {path} is missing (set BRAINHOST_GENOMES_DIR)"
    return path
