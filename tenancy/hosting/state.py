"""`BrainStatePort` over `tenancy.store`: one brain's record and snapshot in its workspace."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime

from brains.brain import BrainStats
from brains.hosting import SavedBrain, StoredBrain
from tenancy.hosting.errors import BrainNotFound
from tenancy.store import BrainRecord, BrainSnapshot, Store

__all__ = ["StoreBrainState"]


class StoreBrainState:
    """Loads and saves one brain; ``on_saved(record)`` sees every record written."""

    def __init__(
        self,
        store: Store,
        workspace_id: str,
        brain_id: str,
        *,
        on_saved: Callable[[BrainRecord], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._repo = store.workspace(workspace_id).brains
        self._brain_id = brain_id
        self._on_saved = on_saved
        self._now = now

    async def load(self) -> StoredBrain:
        record = await self._record()
        snapshot = await self._repo.load_snapshot(self._brain_id)
        return StoredBrain(
            genome=record.genome,
            snapshot=None if snapshot is None else snapshot.data,
            seed=record.seed,
            frequency_hz=record.frequency_hz,
            desired_state=record.desired_state,
        )

    async def save(self, state: SavedBrain) -> None:
        record = await self._record()
        now = self._now()
        stats: BrainStats = state.stats
        updated = dataclasses.replace(
            record,
            updated_at=max(now, record.updated_at),
            frequency_hz=state.frequency_hz,
            desired_state=state.desired_state,
            genome=record.genome if state.genome is None else state.genome,
            name=record.name if state.name is None else state.name,
            cortical_area_count=stats.cortical_area_count,
            neuron_count=stats.neuron_count,
            synapse_count=stats.synapse_count,
            burst_count=stats.burst_count,
        )
        await self._repo.update(updated)
        if state.snapshot is not None:
            await self._repo.save_snapshot(
                BrainSnapshot(self._brain_id, state.snapshot, stats.burst_count, now)
            )
        if self._on_saved is not None:
            self._on_saved(updated)

    async def _record(self) -> BrainRecord:
        record = await self._repo.get(self._brain_id)
        if record is None:
            raise BrainNotFound(self._brain_id)
        return record
