"""The bounded mailbox: backpressure, closed vs broken, statistics."""

from __future__ import annotations

import asyncio

import pytest
from actors_support import wait_until

from actors import (
    Mailbox,
    MailboxBrokenError,
    MailboxClosedError,
    MailboxEmptyError,
    MailboxFullError,
)


def test_capacity_below_one_is_rejected() -> None:
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        Mailbox[int](0)


async def test_send_nowait_raises_full_when_capacity_is_reached() -> None:
    mailbox = Mailbox[int](2, name="mb")
    mailbox.send_nowait(1)
    mailbox.send_nowait(2)
    with pytest.raises(MailboxFullError, match="mb is full"):
        mailbox.send_nowait(3)


async def test_receive_nowait_raises_empty_when_nothing_is_queued() -> None:
    with pytest.raises(MailboxEmptyError):
        Mailbox[int](1).receive_nowait()


async def test_items_come_out_in_the_order_they_went_in() -> None:
    mailbox = Mailbox[int](10)
    for item in range(5):
        await mailbox.send(item)
    assert [mailbox.receive_nowait() for _ in range(5)] == [0, 1, 2, 3, 4]


async def test_send_waits_while_full_and_completes_when_space_frees() -> None:
    mailbox = Mailbox[int](1)
    await mailbox.send(1)
    sender = asyncio.create_task(mailbox.send(2))
    await wait_until(lambda: mailbox.statistics().tasks_waiting_send == 1)
    assert not sender.done()
    assert await mailbox.receive() == 1
    await sender
    assert mailbox.receive_nowait() == 2


async def test_waiting_senders_are_admitted_in_arrival_order() -> None:
    mailbox = Mailbox[int](1)
    mailbox.send_nowait(0)
    senders = [asyncio.create_task(mailbox.send(item)) for item in (1, 2, 3)]
    await wait_until(lambda: mailbox.statistics().tasks_waiting_send == 3)
    received = [await mailbox.receive() for _ in range(4)]
    await asyncio.gather(*senders)
    assert received == [0, 1, 2, 3]


async def test_send_nowait_does_not_overtake_waiting_senders() -> None:
    mailbox = Mailbox[int](1)
    mailbox.send_nowait(0)
    sender = asyncio.create_task(mailbox.send(1))
    await wait_until(lambda: mailbox.statistics().tasks_waiting_send == 1)
    mailbox.receive_nowait()
    with pytest.raises(MailboxFullError):
        mailbox.send_nowait(2)
    await sender


async def test_cancelled_send_withdraws_its_item() -> None:
    mailbox = Mailbox[int](1)
    mailbox.send_nowait(0)
    sender = asyncio.create_task(mailbox.send(1))
    await wait_until(lambda: mailbox.statistics().tasks_waiting_send == 1)
    sender.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sender
    assert mailbox.statistics().tasks_waiting_send == 0
    assert mailbox.receive_nowait() == 0
    with pytest.raises(MailboxEmptyError):
        mailbox.receive_nowait()


async def test_sending_after_close_raises_broken() -> None:
    mailbox = Mailbox[int](1)
    mailbox.close()
    with pytest.raises(MailboxBrokenError):
        mailbox.send_nowait(1)
    with pytest.raises(MailboxBrokenError):
        await mailbox.send(1)


async def test_close_fails_waiting_senders_with_broken() -> None:
    mailbox = Mailbox[int](1)
    mailbox.send_nowait(0)
    sender = asyncio.create_task(mailbox.send(1))
    await wait_until(lambda: mailbox.statistics().tasks_waiting_send == 1)
    mailbox.close()
    with pytest.raises(MailboxBrokenError, match="closed while this send was waiting"):
        await sender


async def test_receiver_drains_after_close_then_gets_closed() -> None:
    mailbox = Mailbox[int](3)
    mailbox.send_nowait(1)
    mailbox.send_nowait(2)
    mailbox.close()
    assert await mailbox.receive() == 1
    assert mailbox.receive_nowait() == 2
    with pytest.raises(MailboxClosedError):
        await mailbox.receive()


async def test_close_wakes_a_waiting_receiver_with_closed() -> None:
    mailbox = Mailbox[int](1)
    receiver = asyncio.create_task(mailbox.receive())
    await wait_until(lambda: mailbox.statistics().tasks_waiting_receive == 1)
    mailbox.close()
    with pytest.raises(MailboxClosedError):
        await receiver


async def test_a_second_concurrent_receiver_is_refused() -> None:
    mailbox = Mailbox[int](1)
    first = asyncio.create_task(mailbox.receive())
    await wait_until(lambda: mailbox.statistics().tasks_waiting_receive == 1)
    with pytest.raises(RuntimeError, match="already receiving"):
        await mailbox.receive()
    mailbox.send_nowait(7)
    assert await first == 7


async def test_statistics_report_size_capacity_and_waiting_tasks() -> None:
    mailbox = Mailbox[int](2)
    mailbox.send_nowait(1)
    mailbox.send_nowait(2)
    sender = asyncio.create_task(mailbox.send(3))
    await wait_until(lambda: mailbox.statistics().tasks_waiting_send == 1)
    stats = mailbox.statistics()
    assert (stats.current_buffer_used, stats.max_buffer_size, stats.closed) == (2, 2, False)
    assert stats.tasks_waiting_receive == 0
    mailbox.receive_nowait()
    await sender
    mailbox.close()
    assert mailbox.statistics().closed


async def test_withdraw_removes_by_identity_not_equality() -> None:
    class EqualToEverything:
        def __eq__(self, other: object) -> bool:
            raise AssertionError("withdraw must not compare items")

        __hash__ = object.__hash__

    first, second = EqualToEverything(), EqualToEverything()
    mailbox = Mailbox[EqualToEverything](3)
    mailbox.send_nowait(first)
    mailbox.send_nowait(second)
    assert mailbox.withdraw(second)
    assert not mailbox.withdraw(second)
    remaining = mailbox.drain_nowait()
    assert len(remaining) == 1
    assert remaining[0] is first
