"""A brain: its genome, the connectome grown from it, and the burst engine that runs it.

:class:`Brain` is the one object the host (actors, REST, FEAGI API) drives. It is plain,
synchronous and CPU-bound: the owner (a brain actor) calls it from one worker thread at a
time; nothing here is thread-safe or does I/O.

Edits of areas and mappings re-develop only what changed in the connectome, then rebuild
the engine; the brain's burst counter carries on (the new engine counts from zero and the
brain adds what earlier engines ran), neuron state of the rebuilt network starts fresh.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson
from numpy.typing import ArrayLike, NDArray

from brains.connectome import (
    DEFAULT_LIMITS,
    Connectome,
    ConnectomeCounts,
    DevelopmentLimits,
    develop,
    to_network_spec,
)
from brains.genome import DEFAULT_LIMITS as DEFAULT_GENOME_LIMITS
from brains.genome import Genome, GenomeLimits, dumps_genome, load_genome
from brains.genome.model import BrainRegion, CorticalArea, MappingRule
from brains.npu import EngineSnapshot, InvalidInputError, NetworkSpec

if TYPE_CHECKING:
    from brains.npu import BurstEngine

__all__ = ["Brain", "BrainSnapshotError", "BrainStats", "InvalidBrainInputError", "MotorArea"]

_SNAPSHOT_MAGIC = b"BHBS"
_SNAPSHOT_VERSION = 1
_HEADER = struct.Struct("<4sHIII")


class BrainSnapshotError(ValueError):
    """Bytes that are not a brain snapshot this version can read."""


class InvalidBrainInputError(ValueError):
    """Sensory data, stimulation or a step count that does not fit this brain."""


@dataclass(frozen=True, slots=True)
class BrainStats:
    burst_count: int
    cortical_area_count: int
    neuron_count: int
    synapse_count: int


@dataclass(frozen=True, slots=True)
class MotorArea:
    """Activity of one motor area in the last burst: ``[x, y, z, fraction fired]`` rows."""

    cortical_id: str
    voxels: list[list[float]]


class Brain:
    """Genome + connectome + burst engine, kept consistent with each other."""

    def __init__(self, genome: Genome, connectome: Connectome, engine: BurstEngine) -> None:
        self._genome = genome
        self._connectome = connectome
        self._engine = engine
        self._bursts_before_engine = 0
        self._core_added = frozenset(connectome.area_ids) - frozenset(genome.areas)
        self._cap: DevelopmentLimits | None = None

    # --- construction -------------------------------------------------------------------------

    @classmethod
    def develop(
        cls, genome: Genome, *, seed: int = 0, limits: DevelopmentLimits = DEFAULT_LIMITS,
        cap: DevelopmentLimits | None = None,
    ) -> Brain:
        """Grow a brain from ``genome`` (neuroembryogenesis, then a fresh engine).

        ``cap`` lowers ``limits`` for this development only (see :meth:`limited`)."""
        connectome = develop(genome, seed=seed, limits=limits, cap=cap)
        return cls(genome, connectome, _new_engine(to_network_spec(connectome), seed=seed))

    # --- what it is ---------------------------------------------------------------------------

    @property
    def connectome(self) -> Connectome:
        """The developed network; edit it only through this class's methods."""
        return self._connectome

    @property
    def engine(self) -> BurstEngine:
        return self._engine

    @property
    def seed(self) -> int:
        return self._connectome.seed

    @property
    def genome(self) -> Genome:
        """The genome as it stands after every edit (core areas the engine adds left out)."""
        areas = {
            cid: area
            for cid, area in self._connectome.areas.items()
            if cid not in self._core_added
        }
        regions: Mapping[str, BrainRegion] | None = None
        if self._genome.brain_regions is not None:
            regions = {
                rid: dataclasses.replace(
                    region, areas=tuple(a for a in region.areas if a not in self._core_added)
                )
                for rid, region in self._connectome.regions.items()
            }
        return dataclasses.replace(self._genome, areas=areas, brain_regions=regions)

    @property
    def burst_count(self) -> int:
        return self._bursts_before_engine + self._engine.burst_count

    def stats(self) -> BrainStats:
        return BrainStats(
            burst_count=self.burst_count,
            cortical_area_count=len(self._connectome.area_ids),
            neuron_count=self._engine.neuron_count,
            synapse_count=self._engine.synapse_count,
        )

    def counts(self) -> ConnectomeCounts:
        return self._connectome.counts()

    # --- running ------------------------------------------------------------------------------

    def step(self, n: int = 1) -> int:
        """Run ``n`` bursts; returns the burst counter."""
        if n < 0:
            raise InvalidBrainInputError(f"step count must be >= 0, got {n}")
        if n:
            self._engine.step_n(n)
        return self.burst_count

    def fired_by_area(self) -> dict[str, int]:
        """Neurons fired in the last burst, per area that fired."""
        return {cid: count for cid, count in self._engine.fired_by_cortical_id().items() if count}

    def inject_sensory(self, cortical_id: str, voxels: ArrayLike) -> None:
        """Add potential to the neurons of ``[[x, y, z, value], ...]`` before the next burst."""
        rows = _rows(voxels, 4, "voxels", "[x, y, z, value]")
        index = self._area_index(cortical_id)
        self._engine.inject_sensory(index, rows[:, :3].astype(np.int64), rows[:, 3])

    def stimulate(self, cortical_id: str, voxels: ArrayLike | None = None) -> None:
        """Force-fire the neurons of ``[[x, y, z], ...]`` (every neuron when ``None``)."""
        index = self._area_index(cortical_id)
        if voxels is None:
            self._engine.stimulate_area(index)
            return
        rows = _rows(voxels, 3, "voxels", "[x, y, z]")
        self._engine.stimulate(index, rows.astype(np.int64))

    def motor(self) -> list[MotorArea]:
        """Per motor area, the voxels active in the last burst and their activity."""
        out = []
        for frame in self._engine.motor_output().values():
            rows = np.column_stack([frame.xyz.astype(np.float64), frame.activity]).tolist()
            out.append(MotorArea(frame.cortical_id, rows))
        return out

    # --- editing ------------------------------------------------------------------------------

    def replace_genome(self, genome: Genome, *, limits: DevelopmentLimits = DEFAULT_LIMITS) -> None:
        """Re-develop from ``genome``; on any error the brain is left as it was."""
        connectome = develop(genome, seed=self.seed, limits=limits, cap=self._cap)
        engine = _new_engine(to_network_spec(connectome), seed=self.seed)
        self._bursts_before_engine = self.burst_count
        self._genome, self._connectome, self._engine = genome, connectome, engine
        self._core_added = frozenset(connectome.area_ids) - frozenset(genome.areas)

    def add_area(self, area: CorticalArea, *, region_id: str | None = None) -> None:
        with self._developing():
            self._connectome.add_area(area, region_id=region_id)
        self._rebuild_engine()

    def update_area(self, cortical_id: str, **changes: Any) -> None:
        with self._developing():
            self._connectome.update_area(cortical_id, **changes)
        self._rebuild_engine()

    def resize_area(self, cortical_id: str, dimensions: tuple[int, int, int]) -> None:
        with self._developing():
            self._connectome.resize_area(cortical_id, dimensions)
        self._rebuild_engine()

    def remove_area(self, cortical_id: str) -> None:
        self._connectome.remove_area(cortical_id)
        self._rebuild_engine()

    def set_mapping(self, source: str, destination: str, rules: Iterable[MappingRule]) -> int:
        """Create or replace a mapping (empty rules delete it); returns its synapse count."""
        with self._developing():
            count = self._connectome.set_mapping(source, destination, rules)
        self._rebuild_engine()
        return count

    @contextmanager
    def limited(self, cap: DevelopmentLimits) -> Iterator[None]:
        """Every development in the block (area and mapping edits, a genome replacement)
        stops at ``cap`` with `LimitExceededError` before growing past it, where ``cap`` is
        lower than the connectome's limits. After the block the brain develops within its
        own limits again (the cap is one edit's room, not the brain's).
        """
        kept = self._cap
        self._cap = cap if kept is None else kept.lowered_to(cap)
        try:
            yield
        finally:
            self._cap = kept

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Undo every edit made in the block if it raises: the brain is then exactly as it
        was (genome, connectome, engine with its neuron state, burst counter).

        Cheap when nothing goes wrong: edits replace the engine rather than change it, so
        keeping the old one costs nothing, and the connectome's savepoint shares its blocks.
        """
        kept = (self._genome, self._connectome, self._engine, self._bursts_before_engine,
                self._core_added)
        savepoint = self._connectome.savepoint()
        try:
            yield
        except BaseException:
            (self._genome, self._connectome, self._engine, self._bursts_before_engine,
             self._core_added) = kept
            self._connectome.rollback(savepoint)
            raise

    # --- persistence --------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Genome, seed and full engine state as bytes; :meth:`restore` brings it back."""
        header = orjson.dumps(
            {"seed": self.seed, "bursts_before_engine": self._bursts_before_engine}
        )
        genome = dumps_genome(self.genome, indent=0).encode()
        engine = self._engine.snapshot().to_bytes()
        prefix = _HEADER.pack(
            _SNAPSHOT_MAGIC, _SNAPSHOT_VERSION, len(header), len(genome), len(engine)
        )
        return prefix + header + genome + engine

    @classmethod
    def restore(
        cls,
        data: bytes,
        *,
        limits: DevelopmentLimits = DEFAULT_LIMITS,
        genome_limits: GenomeLimits = DEFAULT_GENOME_LIMITS,
    ) -> Brain:
        """Rebuild a brain from :meth:`snapshot` bytes, state and burst counter included."""
        if len(data) < _HEADER.size:
            raise BrainSnapshotError("brain snapshot is truncated")
        magic, version, n_header, n_genome, n_engine = _HEADER.unpack_from(data)
        if magic != _SNAPSHOT_MAGIC:
            raise BrainSnapshotError("not a brain snapshot (bad magic)")
        if version != _SNAPSHOT_VERSION:
            raise BrainSnapshotError(f"brain snapshot version {version} is not supported")
        if len(data) != _HEADER.size + n_header + n_genome + n_engine:
            raise BrainSnapshotError("brain snapshot is truncated or has trailing bytes")
        at = _HEADER.size
        header = orjson.loads(data[at : at + n_header])
        at += n_header
        genome = load_genome(data[at : at + n_genome], limits=genome_limits)
        at += n_genome
        brain = cls.develop(genome, seed=int(header["seed"]), limits=limits)
        brain._engine.restore(EngineSnapshot.from_bytes(data[at:]))
        brain._bursts_before_engine = int(header["bursts_before_engine"])
        return brain

    # --- internals ----------------------------------------------------------------------------

    def _area_index(self, cortical_id: str) -> int:
        try:
            return self._engine.area_index(cortical_id)
        except InvalidInputError as exc:
            raise InvalidBrainInputError(f"no cortical area {cortical_id!r} in this brain") from exc

    def _developing(self) -> AbstractContextManager[None]:
        # Entered per edit on the connectome of the moment: a genome replacement inside a
        # `limited` block swaps the connectome, and the next edit must be capped too.
        return nullcontext() if self._cap is None else self._connectome.limited(self._cap)

    def _rebuild_engine(self) -> None:
        engine = _new_engine(to_network_spec(self._connectome), seed=self.seed)
        self._bursts_before_engine = self.burst_count
        self._engine = engine


def _rows(values: ArrayLike, width: int, name: str, shape: str) -> NDArray[np.float64]:
    try:
        rows = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InvalidBrainInputError(f"{name} must be a list of {shape} numbers") from exc
    if rows.size == 0:
        return rows.reshape(0, width)
    if rows.ndim != 2 or rows.shape[1] != width:
        raise InvalidBrainInputError(f"{name} must be a list of {shape} rows")
    if not np.all(np.isfinite(rows)):
        raise InvalidBrainInputError(f"{name} must hold finite numbers")
    return rows


def _new_engine(spec: NetworkSpec, *, seed: int) -> BurstEngine:
    # Imported on first use: the engine loads numba and the kernels (about half a second),
    # which a process that serves, or only reads genomes, must not pay before it is ready.
    from brains.npu import BurstEngine

    return BurstEngine(spec, seed=seed)
