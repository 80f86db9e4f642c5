"""The fake clock used to test time-based behaviour without waiting."""

from __future__ import annotations

import asyncio

import pytest

from actors import Clock, FakeClock, SystemClock


def test_both_clocks_satisfy_the_clock_protocol() -> None:
    assert isinstance(FakeClock(), Clock)
    assert isinstance(SystemClock(), Clock)


async def test_fake_time_only_moves_when_advanced() -> None:
    clock = FakeClock(start=100)
    assert clock.monotonic() == 100
    await clock.advance(2.5)
    assert clock.monotonic() == 102.5


async def test_sleepers_wake_in_deadline_order_when_time_reaches_them() -> None:
    clock = FakeClock()
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("late", 3), ("early", 1))]
    await clock.wait_for_sleepers(2)
    await clock.advance(2)
    assert woke == ["early"]
    await clock.advance(1)
    assert woke == ["early", "late"]
    await asyncio.gather(*tasks)


async def test_a_fake_clock_cannot_go_backwards() -> None:
    with pytest.raises(ValueError, match="backwards"):
        await FakeClock().advance(-1)
