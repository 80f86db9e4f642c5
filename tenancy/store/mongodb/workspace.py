"""MongoDB workspace-bound data repositories (apps, brains, memories, threads).

Every document carries ``workspace_id`` and every filter starts with the repository's bound
id, in both layouts: shared collections (default) and one database per workspace (where the
field is redundant but keeps one code path). JSON-valued fields are stored as JSON text so
that arbitrary keys (``$``, ``.``) round-trip unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tenancy.store._codec import (
    check_positive_limit,
    check_size,
    decode_json,
    encode_json,
    from_micros,
    to_micros,
)
from tenancy.store.errors import Conflict, NotFound
from tenancy.store.mongodb._driver import Collection, Document
from tenancy.store.records import (
    BrainRecord,
    BrainSnapshot,
    InstalledApp,
    Memory,
    Thread,
    ThreadMessage,
)

if TYPE_CHECKING:
    from tenancy.store.mongodb.system import MongoRunningBrainIndex

RequireProvisioned = Callable[[str], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class WorkspaceCollections:
    """The collections holding one workspace's data (shared or in its own database)."""

    apps: Collection
    brains: Collection
    snapshots: Collection
    memories: Collection
    threads: Collection
    message_ids: Collection


class _Bound:
    def __init__(
        self,
        collections: WorkspaceCollections,
        workspace_id: str,
        require_provisioned: RequireProvisioned,
        max_record_bytes: int,
    ) -> None:
        self._c = collections
        self._workspace_id = workspace_id
        self._require_provisioned = require_provisioned
        self._max_record_bytes = max_record_bytes

    def _scope(self, **key: Any) -> dict[str, Any]:
        return {"workspace_id": self._workspace_id, **key}

    async def _ready(self) -> None:
        await self._require_provisioned(self._workspace_id)


def _app(doc: Document) -> InstalledApp:
    return InstalledApp(
        app_id=doc["app_id"],
        version=doc["version"],
        settings=decode_json(doc["settings"], "app settings"),
        installed_at=from_micros(doc["installed_at_us"]),
    )


class MongoAppRepository(_Bound):
    """`AppRepository` on ``apps``."""

    async def put(self, app: InstalledApp) -> None:
        settings = encode_json(app.settings, "app settings", self._max_record_bytes)
        await self._ready()
        await self._c.apps.replace_one(
            self._scope(app_id=app.app_id),
            self._scope(
                app_id=app.app_id, version=app.version, settings=settings,
                installed_at_us=to_micros(app.installed_at),
            ),
            upsert=True,
        )

    async def get(self, app_id: str) -> InstalledApp | None:
        await self._ready()
        found = await self._c.apps.find_one(self._scope(app_id=app_id))
        return None if found is None else _app(found)

    async def list(self) -> list[InstalledApp]:
        await self._ready()
        return [_app(d) for d in await self._c.apps.find(self._scope(), sort=[("app_id", 1)])]

    async def remove(self, app_id: str) -> bool:
        await self._ready()
        return await self._c.apps.delete_one(self._scope(app_id=app_id)) > 0


def _brain(doc: Document) -> BrainRecord:
    # Documents written before the hosting fields existed read back with the defaults.
    hz = doc.get("frequency_hz")
    return BrainRecord(
        id=doc["id"],
        name=doc["name"],
        genome=decode_json(doc["genome"], "brain genome"),
        created_at=from_micros(doc["created_at_us"]),
        updated_at=from_micros(doc["updated_at_us"]),
        frequency_hz=None if hz is None else float(hz),
        desired_state=doc.get("desired_state", "stopped"),
        seed=int(doc.get("seed", 0)),
        cortical_area_count=int(doc.get("cortical_area_count", 0)),
        neuron_count=int(doc.get("neuron_count", 0)),
        synapse_count=int(doc.get("synapse_count", 0)),
        burst_count=int(doc.get("burst_count", 0)),
    )


def _brain_fields(brain: BrainRecord, genome: str) -> dict[str, Any]:
    return {
        "name": brain.name, "genome": genome, "updated_at_us": to_micros(brain.updated_at),
        "frequency_hz": brain.frequency_hz, "desired_state": brain.desired_state,
        # Seeds go up to 2**63 - 1: BSON int64 holds them.
        "seed": brain.seed, "cortical_area_count": brain.cortical_area_count,
        "neuron_count": brain.neuron_count, "synapse_count": brain.synapse_count,
        "burst_count": brain.burst_count,
    }


class MongoBrainRepository(_Bound):
    """`BrainRepository` on ``brains`` and ``brain_snapshots``; keeps the system
    ``running_brains`` in step (the ordering `RunningBrainIndex` promises: entry first,
    record after)."""

    def __init__(
        self,
        collections: WorkspaceCollections,
        workspace_id: str,
        require_provisioned: RequireProvisioned,
        max_record_bytes: int,
        running: MongoRunningBrainIndex,
    ) -> None:
        super().__init__(collections, workspace_id, require_provisioned, max_record_bytes)
        self._running = running

    async def create(self, brain: BrainRecord) -> None:
        genome = encode_json(brain.genome, "brain genome", self._max_record_bytes)
        await self._ready()
        if brain.desired_state == "running":
            await self._running.add(self._workspace_id, brain.id)
        try:
            await self._c.brains.insert_one(
                self._scope(
                    id=brain.id, created_at_us=to_micros(brain.created_at),
                    **_brain_fields(brain, genome),
                )
            )
        except Conflict:
            raise Conflict("a brain with this id already exists", field="id") from None

    async def get(self, brain_id: str) -> BrainRecord | None:
        await self._ready()
        found = await self._c.brains.find_one(self._scope(id=brain_id))
        return None if found is None else _brain(found)

    async def list(self) -> list[BrainRecord]:
        await self._ready()
        docs = await self._c.brains.find(self._scope(), sort=[("created_at_us", 1), ("id", 1)])
        return [_brain(d) for d in docs]

    async def update(self, brain: BrainRecord) -> None:
        genome = encode_json(brain.genome, "brain genome", self._max_record_bytes)
        await self._ready()
        key = self._scope(id=brain.id)
        state = {"desired_state": 1}
        if brain.desired_state == "running":
            current = await self._c.brains.find_one(key, projection=state)
            if current is None:
                raise NotFound(f"no brain {brain.id!r} in this workspace")
            # A record already running has its entry (see `RunningBrainIndex`).
            if current.get("desired_state") != "running":
                await self._running.add(self._workspace_id, brain.id)
            if await self._c.brains.update_one(key, {"$set": _brain_fields(brain, genome)}) == 0:
                raise NotFound(f"no brain {brain.id!r} in this workspace")
            return
        previous = await self._c.brains.find_one_and_update(
            key, {"$set": _brain_fields(brain, genome)}, projection=state, before=True
        )
        if previous is None:
            raise NotFound(f"no brain {brain.id!r} in this workspace")
        if previous.get("desired_state") == "running":
            await self._running.remove(self._workspace_id, brain.id)

    async def delete(self, brain_id: str) -> bool:
        await self._ready()
        deleted = await self._c.brains.delete_one(self._scope(id=brain_id))
        await self._c.snapshots.delete_many(self._scope(brain_id=brain_id))
        # Whatever the record said: this also clears an entry a crash left stale.
        await self._running.remove(self._workspace_id, brain_id)
        return deleted > 0

    async def save_snapshot(self, snapshot: BrainSnapshot) -> None:
        check_size(len(snapshot.data), "brain snapshot", self._max_record_bytes)
        await self._ready()
        if await self._c.brains.find_one(self._scope(id=snapshot.brain_id)) is None:
            raise NotFound(f"no brain {snapshot.brain_id!r} in this workspace")
        await self._c.snapshots.replace_one(
            self._scope(brain_id=snapshot.brain_id),
            self._scope(
                brain_id=snapshot.brain_id, data=snapshot.data,
                burst_count=snapshot.burst_count, saved_at_us=to_micros(snapshot.saved_at),
            ),
            upsert=True,
        )
        if await self._c.brains.find_one(self._scope(id=snapshot.brain_id)) is None:
            # The brain was deleted concurrently: do not leave an orphan snapshot behind.
            await self._c.snapshots.delete_many(self._scope(brain_id=snapshot.brain_id))
            raise NotFound(f"no brain {snapshot.brain_id!r} in this workspace")

    async def load_snapshot(self, brain_id: str) -> BrainSnapshot | None:
        await self._ready()
        found = await self._c.snapshots.find_one(self._scope(brain_id=brain_id))
        if found is None:
            return None
        return BrainSnapshot(
            brain_id=found["brain_id"], data=bytes(found["data"]),
            burst_count=found["burst_count"], saved_at=from_micros(found["saved_at_us"]),
        )


def _memory(doc: Document) -> Memory:
    return Memory(
        id=doc["id"],
        kind=doc["kind"],
        brain_id=doc["brain_id"],
        data=decode_json(doc["data"], "memory data"),
        created_at=from_micros(doc["created_at_us"]),
    )


class MongoMemoryRepository(_Bound):
    """`MemoryRepository` on ``memories``."""

    async def put(self, memory: Memory) -> None:
        data = encode_json(memory.data, "memory data", self._max_record_bytes)
        await self._ready()
        await self._c.memories.replace_one(
            self._scope(id=memory.id),
            self._scope(
                id=memory.id, kind=memory.kind, brain_id=memory.brain_id, data=data,
                created_at_us=to_micros(memory.created_at),
            ),
            upsert=True,
        )

    async def get(self, memory_id: str) -> Memory | None:
        await self._ready()
        found = await self._c.memories.find_one(self._scope(id=memory_id))
        return None if found is None else _memory(found)

    async def list(
        self, *, kind: str | None = None, brain_id: str | None = None, limit: int = 100
    ) -> list[Memory]:
        check_positive_limit(limit)
        await self._ready()
        query = self._scope()
        if kind is not None:
            query["kind"] = kind
        if brain_id is not None:
            query["brain_id"] = brain_id
        docs = await self._c.memories.find(
            query, sort=[("created_at_us", 1), ("id", 1)], limit=limit
        )
        return [_memory(d) for d in docs]

    async def delete(self, memory_id: str) -> bool:
        await self._ready()
        return await self._c.memories.delete_one(self._scope(id=memory_id)) > 0


def _message(doc: Document) -> ThreadMessage:
    return ThreadMessage(
        message_id=doc["message_id"],
        sender=doc["sender"],
        sent_at=from_micros(doc["sent_at_us"]),
        body=doc["body"],
        headers=decode_json(doc["headers"], "thread message headers"),
    )


def _thread(doc: Document) -> Thread:
    return Thread(
        id=doc["id"],
        subject=doc["subject"],
        participants=tuple(doc["participants"]),
        created_at=from_micros(doc["created_at_us"]),
        messages=tuple(_message(m) for m in doc["messages"]),
    )


class MongoThreadRepository(_Bound):
    """`ThreadRepository` on ``threads`` (messages embedded, appended with ``$push``).

    Message-ID uniqueness across threads is arbitrated by ``thread_message_ids`` (one document
    per id under a unique index) rather than a multikey unique index, whose semantics differ
    between MongoDB and in-memory test doubles.
    """

    def _encode(self, message: ThreadMessage) -> Document:
        headers = encode_json(message.headers, "thread message headers", self._max_record_bytes)
        check_size(
            len(message.body.encode()) + len(headers), "thread message", self._max_record_bytes
        )
        return {
            "message_id": message.message_id,
            "sender": message.sender,
            "sent_at_us": to_micros(message.sent_at),
            "body": message.body,
            "headers": headers,
        }

    async def _claim(self, message_ids: list[str], thread_id: str) -> None:
        claimed: list[str] = []
        try:
            for message_id in message_ids:
                await self._c.message_ids.insert_one(
                    self._scope(message_id=message_id, thread_id=thread_id)
                )
                claimed.append(message_id)
        except Conflict:
            await self._release(claimed)
            raise Conflict(
                "a message with this Message-ID is already stored in this workspace",
                field="message_id",
            ) from None

    async def _release(self, message_ids: list[str]) -> None:
        if message_ids:
            await self._c.message_ids.delete_many(
                self._scope(message_id={"$in": message_ids})
            )

    async def create(self, thread: Thread) -> None:
        messages = [self._encode(m) for m in thread.messages]
        ids = [m.message_id for m in thread.messages]
        if len(set(ids)) != len(ids):
            raise Conflict("a thread cannot hold one Message-ID twice", field="message_id")
        await self._ready()
        await self._claim(ids, thread.id)
        try:
            await self._c.threads.insert_one(
                self._scope(
                    id=thread.id, subject=thread.subject,
                    participants=list(thread.participants),
                    created_at_us=to_micros(thread.created_at), messages=messages,
                )
            )
        except Conflict:
            await self._release(ids)
            raise Conflict("a thread with this id already exists", field="id") from None
        except BaseException:
            await self._release(ids)
            raise

    async def get(self, thread_id: str) -> Thread | None:
        await self._ready()
        found = await self._c.threads.find_one(self._scope(id=thread_id))
        return None if found is None else _thread(found)

    async def list(self, *, limit: int = 100) -> list[Thread]:
        check_positive_limit(limit)
        await self._ready()
        docs = await self._c.threads.find(
            self._scope(), sort=[("created_at_us", 1), ("id", 1)], limit=limit
        )
        return [_thread(d) for d in docs]

    async def append(self, thread_id: str, message: ThreadMessage) -> Thread:
        encoded = self._encode(message)
        await self._ready()
        if await self._c.threads.find_one(self._scope(id=thread_id)) is None:
            raise NotFound(f"no thread {thread_id!r} in this workspace")
        await self._claim([message.message_id], thread_id)
        try:
            updated = await self._c.threads.find_one_and_update(
                self._scope(id=thread_id), {"$push": {"messages": encoded}}
            )
        except BaseException:
            await self._release([message.message_id])
            raise
        if updated is None:
            await self._release([message.message_id])
            raise NotFound(f"no thread {thread_id!r} in this workspace")
        return _thread(updated)

    async def find_by_message_id(self, message_id: str) -> Thread | None:
        await self._ready()
        claim = await self._c.message_ids.find_one(self._scope(message_id=message_id))
        if claim is None:
            return None
        return await self.get(claim["thread_id"])

    async def delete(self, thread_id: str) -> bool:
        await self._ready()
        deleted = await self._c.threads.delete_one(self._scope(id=thread_id))
        await self._c.message_ids.delete_many(self._scope(thread_id=thread_id))
        return deleted > 0
