"""Durability: a writer process killed with SIGKILL loses no acknowledged write.

The writer prints a record's number only after the store call returned; the test kills it
mid-stream, reopens the files and expects every printed record plus a clean integrity check.
(SIGKILL ends the process, not the machine: the kernel's page cache survives, so this checks
commit ordering and recovery of the WAL, not fsync against power loss.)
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

from tenancy.store import SQLiteStore

ROOT = Path(__file__).resolve().parents[3]

WRITER = r"""
import asyncio, sys
from datetime import UTC, datetime
from pathlib import Path
from tenancy.store import Memory, SQLiteStore, User, Workspace

async def main(root: str) -> None:
    store = await SQLiteStore.open(Path(root))
    now = datetime.now(UTC)
    await store.workspaces.create(Workspace("w1", "w1", "W", now))
    await store.provision_workspace("w1")
    data = store.workspace("w1")

    async def writer(lane: int) -> None:
        n = 0
        while True:
            key = f"{lane}x{n}"
            await store.users.create(User(f"u{key}", f"{key}@example.com", now))
            await data.memories.put(Memory(f"m{key}", "fact", {"n": n}, now))
            print(key, flush=True)
            n += 1

    await asyncio.gather(*(writer(lane) for lane in range(4)))

asyncio.run(main(sys.argv[1]))
"""


async def test_acknowledged_writes_survive_sigkill(tmp_path: Path) -> None:
    root = tmp_path / "store"
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER, str(root),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    acknowledged: list[str] = []
    try:
        async with asyncio.timeout(30):
            while len(acknowledged) < 120:
                line = await process.stdout.readline()
                if not line:
                    stderr = await process.stderr.read() if process.stderr else b""
                    raise AssertionError(f"writer died early: {stderr.decode()[-2000:]}")
                acknowledged.append(line.decode().strip())
    finally:
        process.send_signal(signal.SIGKILL)
    rest, _ = await process.communicate()
    acknowledged += [line for line in rest.decode().splitlines() if line.strip()]
    assert process.returncode == -signal.SIGKILL

    store = await SQLiteStore.open(root)
    try:
        data = store.workspace("w1")
        missing = [
            key for key in acknowledged
            if await store.users.get(f"u{key}") is None or await data.memories.get(f"m{key}")
            is None
        ]
    finally:
        await store.aclose()

    assert missing == []
    for path in (root / "system.db", root / "workspaces" / "w1.db"):
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
