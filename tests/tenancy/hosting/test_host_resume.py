"""Brains meant to be running keep running across a restart: a new host resumes them in the
background, without anything touching them (real store, real actors, fake clock)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from host_support import Hosted, drain
from structlog.testing import capture_logs

from tenancy.hosting import BRAIN_KIND, BrainInfo
from tenancy.store import BrainSnapshot, RunningBrain
from tenancy.store.sqlite.workspace import SQLiteBrainRepository


async def brains(hosted: Hosted, *states: str) -> list[BrainInfo]:
    """One brain per state in w1 ("running" ones started, "paused" ones started and paused)."""
    made = []
    for state in states:
        info = await hosted.host.create_brain("w1", name=state, template="barebones",
                                              autostart=state != "stopped")
        if state == "paused":
            await hosted.host.command("w1", info.id, "pause", {})
        made.append(info)
    return made


def active(hosted: Hosted, info: BrainInfo) -> bool:
    return hosted.system.registry.is_active(BRAIN_KIND, info.id)


def logged(logs: Iterable[Mapping[str, Any]], event: str) -> list[Mapping[str, Any]]:
    return [entry for entry in logs if entry["event"] == event]


class Gate:
    """Holds a coroutine until `open`; `reached` is set when the first one arrives."""

    def __init__(self) -> None:
        self.reached = asyncio.Event()
        self._open = asyncio.Event()

    async def wait(self) -> None:
        self.reached.set()
        await self._open.wait()

    def open(self) -> None:
        self._open.set()


def hold_listing(hosted: Hosted, monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Hold the resumption between reading the running-brain index and acting on it."""
    gate = Gate()
    index = hosted.store.running_brains
    read = index.list

    async def listed(*, after: RunningBrain | None = None, limit: int = 1000) -> Any:
        page = await read(after=after, limit=limit)
        await gate.wait()
        return page

    monkeypatch.setattr(index, "list", listed)
    return gate


def hold_activations(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Hold brain activations after they read the brain's record, before its snapshot."""
    gate = Gate()
    load = SQLiteBrainRepository.load_snapshot

    async def held_load(self: SQLiteBrainRepository, brain_id: str) -> BrainSnapshot | None:
        await gate.wait()
        return await load(self, brain_id)

    monkeypatch.setattr(SQLiteBrainRepository, "load_snapshot", held_load)
    return gate


async def test_running_brains_burst_again_after_a_restart_untouched(hosted: Hosted) -> None:
    first, second = await brains(hosted, "running", "running")

    await hosted.restart()
    subs = [hosted.system.events.subscribe(hosted.host.topic(b.id)) for b in (first, second)]
    await hosted.host.wait_resumed()
    await hosted.advance(0.5)

    for sub in subs:
        assert any(event["event"] == "burst" for event in drain(sub))


async def test_stopped_and_paused_brains_stay_passive_after_a_restart(hosted: Hosted) -> None:
    made = await brains(hosted, "stopped", "paused")

    await hosted.restart()
    await hosted.host.wait_resumed()
    await hosted.advance(0.5)

    assert [active(hosted, info) for info in made] == [False, False]


async def test_the_resumption_logs_how_many_brains_it_resumed(hosted: Hosted) -> None:
    await brains(hosted, "running", "running", "stopped")

    with capture_logs() as logs:
        await hosted.restart()
        await hosted.host.wait_resumed()

    [summary] = logged(logs, "brains.resumed")
    assert (summary["resumed"], summary["skipped"], summary["failed"]) == (2, 0, 0)


async def test_a_brain_that_cannot_be_resumed_is_logged_and_the_others_resume(
    hosted: Hosted,
) -> None:
    broken, sound = await brains(hosted, "running", "running")
    await hosted.host.aclose()
    await hosted.store.workspace("w1").brains.save_snapshot(
        BrainSnapshot(broken.id, b"not a snapshot", 0, datetime.now(UTC))
    )

    with capture_logs() as logs:
        await hosted.restart()
        await hosted.host.wait_resumed()

    [failure] = logged(logs, "brain.resume_failed")
    [summary] = logged(logs, "brains.resumed")
    assert (failure["workspace"], failure["brain"]) == ("w1", broken.id)
    assert (summary["resumed"], summary["failed"]) == (1, 1)
    assert not active(hosted, broken)
    assert (await hosted.host.command("w1", sound.id, "stats", {}))["state"] == "running"


async def test_resumption_waits_for_the_kernels_without_holding_up_start(hosted: Hosted) -> None:
    [info] = await brains(hosted, "running")
    kernels = Gate()
    hosted.kernels_ready = kernels.wait

    await hosted.restart()  # returns: start does not wait for the resumption
    await asyncio.wait_for(kernels.reached.wait(), 10)
    waiting = active(hosted, info)
    kernels.open()
    await hosted.host.wait_resumed()

    assert not waiting
    assert active(hosted, info)


async def test_a_brain_stopped_after_it_was_listed_is_not_resumed(
    hosted: Hosted, monkeypatch: pytest.MonkeyPatch
) -> None:
    [info] = await brains(hosted, "running")
    await hosted.host.aclose()
    gate = hold_listing(hosted, monkeypatch)
    repo = hosted.store.workspace("w1").brains

    await hosted.restart()
    await asyncio.wait_for(gate.reached.wait(), 10)
    record = await repo.get(info.id)
    assert record is not None
    await repo.update(dataclasses.replace(record, desired_state="stopped"))
    gate.open()
    await hosted.host.wait_resumed()

    assert not active(hosted, info)


async def test_a_brain_deleted_after_it_was_listed_is_not_resumed(
    hosted: Hosted, monkeypatch: pytest.MonkeyPatch
) -> None:
    [info] = await brains(hosted, "running")
    await hosted.host.aclose()
    gate = hold_listing(hosted, monkeypatch)

    await hosted.restart()
    await asyncio.wait_for(gate.reached.wait(), 10)
    await hosted.host.delete_brain("w1", info.id)
    gate.open()
    await hosted.host.wait_resumed()

    assert not active(hosted, info)
    assert await hosted.host.brain_workspace(info.id) is None


async def test_a_brain_deleted_while_it_is_resumed_does_not_stay_active(
    hosted: Hosted, monkeypatch: pytest.MonkeyPatch
) -> None:
    [info] = await brains(hosted, "running")
    await hosted.host.aclose()
    gate = hold_activations(monkeypatch)

    await hosted.restart()
    await asyncio.wait_for(gate.reached.wait(), 10)
    await hosted.host.delete_brain("w1", info.id)
    gate.open()
    await hosted.host.wait_resumed()

    assert not active(hosted, info)
    assert await hosted.host.brain_workspace(info.id) is None


async def test_closing_the_host_while_it_resumes_leaves_the_brains_meant_to_run(
    hosted: Hosted, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await brains(hosted, "running", "running", "running")
    await hosted.host.aclose()
    gate = hold_listing(hosted, monkeypatch)
    await hosted.restart()
    await asyncio.wait_for(gate.reached.wait(), 10)

    with capture_logs() as logs:
        await hosted.host.aclose()
    gate.open()

    assert logged(logs, "brains.resume_interrupted")
    assert not any(active(hosted, info) for info in made)
    records = [await hosted.store.workspace("w1").brains.get(info.id) for info in made]
    assert [r.desired_state for r in records if r is not None] == ["running"] * 3


async def test_closing_the_host_while_brains_activate_is_clean(
    hosted: Hosted, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = await brains(hosted, "running", "running", "running", "running")
    await hosted.host.aclose()
    gate = hold_activations(monkeypatch)
    await hosted.restart()
    await asyncio.wait_for(gate.reached.wait(), 10)

    await asyncio.wait_for(hosted.host.aclose(), 30)
    gate.open()

    assert not any(active(hosted, info) for info in made)
    records = [await hosted.store.workspace("w1").brains.get(info.id) for info in made]
    assert [r.desired_state for r in records if r is not None] == ["running"] * 4
