"""A bounded many-senders, one-receiver mailbox, modelled on anyio's memory object streams.

``send`` waits for space (backpressure), ``send_nowait`` raises :class:`MailboxFullError`. Waiting
senders are admitted in arrival order, so a sender that awaits each send keeps its order.
``close()`` is called by the receiving side: senders then get :class:`MailboxBrokenError`, while
the receiver can still take what is queued and gets :class:`MailboxClosedError` once it is empty.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Generic, TypeVar

from actors.errors import (
    MailboxBrokenError,
    MailboxClosedError,
    MailboxEmptyError,
    MailboxFullError,
)

__all__ = ["Mailbox", "MailboxStatistics"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class MailboxStatistics:
    """A snapshot of one mailbox (names follow anyio's ``MemoryObjectStreamStatistics``)."""

    current_buffer_used: int
    max_buffer_size: int
    tasks_waiting_send: int
    tasks_waiting_receive: int
    closed: bool


class Mailbox(Generic[T]):
    """Bounded FIFO of items from any number of senders to a single receiving task."""

    __slots__ = ("_buffer", "_capacity", "_closed", "_receive_waiter", "_send_waiters", "name")

    def __init__(self, capacity: int, *, name: str = "mailbox") -> None:
        if capacity < 1:
            raise ValueError(f"mailbox capacity must be at least 1, got {capacity}")
        self.name = name
        self._capacity = capacity
        self._buffer: deque[T] = deque()
        self._closed = False
        self._receive_waiter: asyncio.Future[None] | None = None
        # Created on first use: most mailboxes never see a full buffer.
        self._send_waiters: deque[tuple[T, asyncio.Future[None]]] | None = None

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        return len(self._buffer)

    def statistics(self) -> MailboxStatistics:
        """A snapshot of queue depth, capacity and waiting tasks."""
        return MailboxStatistics(
            current_buffer_used=len(self._buffer),
            max_buffer_size=self._capacity,
            tasks_waiting_send=len(self._send_waiters) if self._send_waiters else 0,
            tasks_waiting_receive=0 if self._receive_waiter is None else 1,
            closed=self._closed,
        )

    # -- sending -------------------------------------------------------------------------

    def send_nowait(self, item: T) -> None:
        """Queue ``item`` now, or raise :class:`MailboxFullError` / :class:`MailboxBrokenError`."""
        if self._closed:
            raise MailboxBrokenError(f"{self.name} is closed: its receiver takes no more messages")
        buffer = self._buffer
        if len(buffer) >= self._capacity or self._send_waiters:
            raise MailboxFullError(
                f"{self.name} is full ({self._capacity} queued): await send() to wait "
                "for space, or raise its capacity"
            )
        buffer.append(item)
        waiter = self._receive_waiter
        if waiter is not None:
            self._receive_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def send(self, item: T) -> None:
        """Queue ``item``, waiting (in arrival order) while the mailbox is full."""
        if self._closed:
            raise MailboxBrokenError(f"{self.name} is closed: its receiver takes no more messages")
        if len(self._buffer) < self._capacity and not self._send_waiters:
            self.send_nowait(item)
            return
        if self._send_waiters is None:
            self._send_waiters = deque()
        admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (item, admitted)
        self._send_waiters.append(entry)
        try:
            await admitted
        except BaseException:
            # Cancelled (or failed) before the receiver took the item: withdraw it.
            _remove_identical(self._send_waiters, entry)
            raise

    # -- receiving -----------------------------------------------------------------------

    def receive_nowait(self) -> T:
        """Take the oldest item (else :class:`MailboxEmptyError` or :class:`MailboxClosedError`)."""
        if self._buffer:
            item = self._buffer.popleft()
            if self._send_waiters:
                self._admit_sender()
            return item
        if self._closed:
            raise MailboxClosedError(f"{self.name} was closed and is drained")
        raise MailboxEmptyError(f"{self.name} is empty")

    async def receive(self) -> T:
        """Take the oldest item, waiting for one; :class:`MailboxClosedError` once closed, empty."""
        while not self._buffer:
            if self._closed:
                raise MailboxClosedError(f"{self.name} was closed and is drained")
            await self._wait_readable()
        return self.receive_nowait()

    def close(self) -> None:
        """Stop accepting items; waiting senders get :class:`MailboxBrokenError`. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._send_waiters:
            while self._send_waiters:
                _, admitted = self._send_waiters.popleft()
                if not admitted.done():
                    admitted.set_exception(
                        MailboxBrokenError(f"{self.name} was closed while this send was waiting")
                    )
        self._wake_receiver()

    def drain_nowait(self) -> list[T]:
        """Take everything queued at once (used to reject what a stopped receiver left)."""
        items = list(self._buffer)
        self._buffer.clear()
        while self._send_waiters:
            self._admit_sender()
            items.extend(self._buffer)
            self._buffer.clear()
        return items

    def withdraw(self, item: T) -> bool:
        """Remove a still-queued item (compared by identity); True if it was found."""
        if _remove_identical(self._buffer, item):
            if self._send_waiters:
                self._admit_sender()
            return True
        return False

    # -- internals shared with the actor cell --------------------------------------------

    async def _wait_readable(self) -> None:
        if self._receive_waiter is not None:
            raise RuntimeError(f"another task is already receiving from {self.name}")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._receive_waiter = waiter
        try:
            await waiter
        finally:
            if self._receive_waiter is waiter:
                self._receive_waiter = None

    def _wake_receiver(self) -> None:
        waiter = self._receive_waiter
        if waiter is not None:
            self._receive_waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _admit_sender(self) -> None:
        waiters = self._send_waiters
        assert waiters is not None
        while waiters:
            item, admitted = waiters.popleft()
            if admitted.done():
                continue
            self._buffer.append(item)
            admitted.set_result(None)
            return


def _remove_identical(queue: deque[T], item: T) -> bool:
    """Delete ``item`` from ``queue`` by identity (``deque.remove`` would call ``__eq__``)."""
    for index, candidate in enumerate(queue):
        if candidate is item:
            del queue[index]
            return True
    return False
