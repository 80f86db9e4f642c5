"""Test actors and helpers shared by the actor runtime tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from actors import Actor


async def wait_until(predicate: Callable[[], bool], *, turns: int = 10_000) -> None:
    """Let the loop run until ``predicate()`` holds; no wall-clock time involved."""
    for _ in range(turns):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError(f"condition not reached after {turns} loop turns")


class BoomError(Exception):
    """The crash the test actors raise."""


class Recorder(Actor):
    """Records every message; ``"get"`` replies with the list, ``"boom"`` crashes,
    ``"stop"`` stops itself; a ``(gate, value)`` message waits for the gate first."""

    instances: list[Recorder]

    def __init__(self, log: list[str] | None = None) -> None:
        self.seen: list[Any] = []
        self.log = log if log is not None else []

    async def started(self) -> None:
        self.log.append("started")

    async def restarted(self, cause: BaseException | None) -> None:
        self.log.append(f"restarted:{type(cause).__name__ if cause else None}")

    async def stopping(self) -> None:
        self.log.append("stopping")

    async def handle(self, message: Any) -> Any:
        if isinstance(message, tuple) and isinstance(message[0], asyncio.Event):
            self.log.append(f"waiting:{message[1]}")
            await message[0].wait()
            message = message[1]
        if message == "get":
            return list(self.seen)
        if message == "boom":
            raise BoomError("boom")
        if message == "stop":
            self.stop()
            return None
        self.seen.append(message)
        return message


class Factory:
    """Builds actors and remembers every instance, to look at state across restarts."""

    def __init__(self, cls: Callable[[], Actor] = Recorder) -> None:
        self.cls = cls
        self.instances: list[Any] = []

    def __call__(self) -> Actor:
        actor = self.cls()
        self.instances.append(actor)
        return actor

    @property
    def last(self) -> Any:
        return self.instances[-1]
