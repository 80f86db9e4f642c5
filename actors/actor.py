"""Actors: a subclass of :class:`Actor` served by one task, addressed through an :class:`ActorRef`.

Stop rule (what happens to queued messages)
-------------------------------------------
* **Graceful stop** (system shutdown, removal from a supervisor, passivation): the mailbox
  closes at once (new ``tell``/``ask`` raise :class:`ActorStoppedError`), the actor handles what
  is already queued, then ``stopping()`` runs. Whatever is still queued when the stop
  timeout expires is rejected: every pending ``ask`` fails with :class:`ActorStoppedError`, the
  ``tell`` messages are dropped and counted in ``ActorStatistics.dropped``.
* **Restart** (this actor or a sibling crashed): the mailbox stays open and keeps its queue;
  the new instance handles it. The message whose handler crashed is not retried: its
  ``ask`` (if any) fails with the handler's exception.
* **Crash without restart** (temporary child, supervisor gave up): queued asks fail with
  :class:`ActorStoppedError`, queued tells are dropped and counted.

So no caller waits forever; and ``ask`` also has a timeout.
"""

from __future__ import annotations

import asyncio
import enum
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import structlog

from actors.errors import (
    ActorError,
    ActorStoppedError,
    AskTimeoutError,
    MailboxBrokenError,
    MailboxFullError,
)
from actors.mailbox import Mailbox, MailboxStatistics

__all__ = [
    "DEFAULT_ASK_TIMEOUT",
    "DEFAULT_MAILBOX_SIZE",
    "Actor",
    "ActorRef",
    "ActorState",
    "ActorStatistics",
]

DEFAULT_MAILBOX_SIZE = 1000
DEFAULT_ASK_TIMEOUT = 30.0

_log = structlog.get_logger("actors")

# (message, reply future or None for a tell). One tuple per message, nothing else.
_Envelope = tuple[Any, "asyncio.Future[Any] | None"]
ExitCallback = Callable[["_ActorCell", "BaseException | None"], None]


class Actor:
    """Subclass and implement :meth:`handle`; its return value is the reply to an ``ask``.

    One task serves the actor, so ``handle`` never runs concurrently with itself and the
    actor's attributes need no locks. Exceptions raised by ``handle`` crash the actor (its
    supervisor decides about a restart), except those listed in :attr:`reply_errors`, which
    are only passed to the asker.
    """

    #: Exception types that ``handle`` raises as an *answer* (e.g. validation errors): they
    #: go to the asker (or are logged for a tell) and the actor keeps running.
    reply_errors: ClassVar[tuple[type[Exception], ...]] = ()

    _cell: _ActorCell | None = None

    async def handle(self, message: Any) -> Any:
        """Handle one message; the return value answers an ``ask`` (ignored for a ``tell``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement handle()")

    async def started(self) -> None:
        """Runs before the first message, in the task that starts the actor."""

    async def restarted(self, cause: BaseException | None) -> None:
        """Runs instead of :meth:`started` on a fresh instance after a restart.

        ``cause`` is the crash that led to it (``None`` after a normal exit or when a sibling
        crashed). The default calls :meth:`started`.
        """
        await self.started()

    async def stopping(self) -> None:
        """Runs when the actor is stopped on purpose, after the queue is handled.

        Not called after the actor's own crash: its state is not trusted then.
        """

    @property
    def ref(self) -> ActorRef:
        """This actor's address; stays valid across restarts."""
        return self._require_cell().ref

    @property
    def path(self) -> str:
        """The actor's path in the supervision tree, e.g. ``"root/tenants/ws-1"``."""
        return self._require_cell().path

    def stop(self) -> None:
        """Finish the current message and exit normally (a *permanent* child is restarted)."""
        self._require_cell().request_exit()

    def _require_cell(self) -> _ActorCell:
        if self._cell is None:
            raise ActorError(f"{type(self).__name__} is not running in an actor system yet")
        return self._cell


class ActorState(enum.Enum):
    """Lifecycle of an actor cell, as seen through its ref."""

    NEW = "new"
    RUNNING = "running"
    STOPPED = "stopped"  # not serving; may be restarted, mailbox still open
    TERMINATED = "terminated"  # mailbox closed for good


@dataclass(frozen=True, slots=True)
class ActorStatistics:
    """A snapshot of one actor: state, mailbox and counters since it was added."""

    path: str
    state: ActorState
    mailbox: MailboxStatistics
    processed: int
    crashes: int
    restarts: int
    dropped: int


class ActorRef:
    """The address of an actor: ``tell``, ``tell_nowait`` and ``ask``. Valid across restarts."""

    __slots__ = ("_cell",)

    def __init__(self, cell: _ActorCell) -> None:
        self._cell = cell

    @property
    def path(self) -> str:
        """The actor's path in the supervision tree."""
        return self._cell.path

    @property
    def name(self) -> str:
        """The last element of :attr:`path`."""
        return self._cell.name

    @property
    def running(self) -> bool:
        """True while an instance serves the mailbox (False during a restart)."""
        return self._cell.state is ActorState.RUNNING

    @property
    def terminated(self) -> bool:
        """True once the actor is stopped for good; messages then raise ActorStoppedError."""
        return self._cell.state is ActorState.TERMINATED

    def statistics(self) -> ActorStatistics:
        """Mailbox depth, state and counters of this actor."""
        return self._cell.statistics()

    def __repr__(self) -> str:
        return f"<ActorRef {self._cell.path} {self._cell.state.value}>"

    def tell_nowait(self, message: Any) -> None:
        """Queue a message; :class:`MailboxFullError` if the mailbox is full right now."""
        try:
            self._cell.mailbox.send_nowait((message, None))
        except MailboxFullError:
            raise MailboxFullError(
                f"mailbox of actor {self._cell.path!r} is full "
                f"({self._cell.mailbox.capacity} queued): use `await tell()` to wait for "
                "space, or give the actor a larger mailbox_size"
            ) from None
        except MailboxBrokenError:
            raise self._cell.stopped_error() from None

    async def tell(self, message: Any) -> None:
        """Queue a message, waiting while the mailbox is full (backpressure)."""
        envelope: _Envelope = (message, None)
        mailbox = self._cell.mailbox
        try:
            mailbox.send_nowait(envelope)
        except MailboxFullError:
            try:
                await mailbox.send(envelope)
            except MailboxBrokenError:
                raise self._cell.stopped_error() from None
        except MailboxBrokenError:
            raise self._cell.stopped_error() from None

    async def ask(
        self,
        message: Any,
        timeout: float | None = DEFAULT_ASK_TIMEOUT,  # noqa: ASYNC109 - the reply deadline
    ) -> Any:
        """Send ``message`` and return the actor's reply.

        Raises :class:`AskTimeoutError` after ``timeout`` seconds (``None``: no limit),
        :class:`ActorStoppedError` if the actor stops first, or the exception ``handle`` raised
        (the very same object, traceback included). A timed-out or cancelled ask is
        withdrawn from the mailbox if the actor has not taken it yet.
        """
        cell = self._cell
        mailbox = cell.mailbox
        loop = asyncio.get_running_loop()
        reply: asyncio.Future[Any] = loop.create_future()
        envelope: _Envelope = (message, reply)
        start = loop.time()
        try:
            mailbox.send_nowait(envelope)
        except MailboxFullError:
            try:
                async with asyncio.timeout(timeout):
                    await mailbox.send(envelope)
            except TimeoutError:
                raise AskTimeoutError(
                    f"ask to actor {cell.path!r} timed out after {timeout} s while waiting "
                    "for mailbox space"
                ) from None
            except MailboxBrokenError:
                raise cell.stopped_error() from None
        except MailboxBrokenError:
            raise cell.stopped_error() from None
        if timeout is None:
            try:
                return await reply
            except asyncio.CancelledError:
                mailbox.withdraw(envelope)
                raise
        deadlines = _this_thread.deadlines
        if deadlines is None or _this_thread.loop is not loop:
            deadlines = _this_thread.use(loop)
        bucket = deadlines.add(loop, start + timeout, reply, cell.path, timeout)
        try:
            return await reply
        except (AskTimeoutError, asyncio.CancelledError):
            mailbox.withdraw(envelope)
            raise
        finally:
            bucket.pop(reply, None)


_DEADLINE_RESOLUTION = 0.01


class _AskDeadlines:
    """Pending ask timeouts of one loop, grouped in 10 ms buckets, one loop timer per bucket.

    A TimerHandle per ask (create, heap push, cancel) cost about a quarter of a local ask
    round trip; a dict insert and delete is a tenth of that. Timeouts fire up to 10 ms late,
    never early. At most one timer per 10 ms of timeout horizon is pending per loop.
    """

    __slots__ = ("_buckets",)

    def __init__(self) -> None:
        self._buckets: dict[int, dict[asyncio.Future[Any], tuple[str, float]]] = {}

    def add(
        self,
        loop: asyncio.AbstractEventLoop,
        deadline: float,
        reply: asyncio.Future[Any],
        path: str,
        timeout: float,
    ) -> dict[asyncio.Future[Any], tuple[str, float]]:
        key = int(deadline / _DEADLINE_RESOLUTION) + 1
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = {}
            loop.call_at(key * _DEADLINE_RESOLUTION, self._expire, key)
        bucket[reply] = (path, timeout)
        return bucket

    def _expire(self, key: int) -> None:
        for reply, (path, timeout) in self._buckets.pop(key, {}).items():
            if not reply.done():
                reply.set_exception(
                    AskTimeoutError(f"actor {path!r} did not answer within {timeout} s")
                )


class _ThreadDeadlines(threading.local):
    """The deadlines of the loop running in this thread (one loop runs per thread at a time)."""

    loop: asyncio.AbstractEventLoop | None = None
    deadlines: _AskDeadlines | None = None

    def use(self, loop: asyncio.AbstractEventLoop) -> _AskDeadlines:
        # A new loop in this thread: its own buckets. The old loop's pending timers keep
        # their own buckets alive, so nothing is shared between loops.
        self.loop = loop
        self.deadlines = _AskDeadlines()
        return self.deadlines


_this_thread = _ThreadDeadlines()


class _ActorCell:
    """Runtime side of one actor: mailbox, current instance and the task serving it."""

    __slots__ = (
        "_exit_requested",
        "_planned",
        "crashes",
        "dropped",
        "factory",
        "instance",
        "mailbox",
        "name",
        "on_exit",
        "path",
        "processed",
        "ref",
        "restarts",
        "state",
        "task",
    )

    def __init__(
        self,
        name: str,
        path: str,
        factory: Callable[[], Actor],
        mailbox_size: int,
        on_exit: ExitCallback | None,
    ) -> None:
        self.name = name
        self.path = path
        self.factory = factory
        self.mailbox: Mailbox[_Envelope] = Mailbox(mailbox_size, name=f"mailbox of {path!r}")
        self.instance: Actor | None = None
        self.task: asyncio.Task[None] | None = None
        self.state = ActorState.NEW
        self.on_exit = on_exit
        self.ref = ActorRef(self)
        self.processed = 0
        self.crashes = 0
        self.restarts = 0
        self.dropped = 0
        self._exit_requested = False
        self._planned = False

    def stopped_error(self) -> ActorStoppedError:
        return ActorStoppedError(
            f"actor {self.path!r} is {self.state.value} and no longer accepts messages"
        )

    def statistics(self) -> ActorStatistics:
        return ActorStatistics(
            path=self.path,
            state=self.state,
            mailbox=self.mailbox.statistics(),
            processed=self.processed,
            crashes=self.crashes,
            restarts=self.restarts,
            dropped=self.dropped,
        )

    async def start(self, cause: BaseException | None = None, *, restart: bool = False) -> None:
        """Create an instance, run its start hook here, then serve the mailbox in a task.

        An exception from the hook propagates and leaves the actor stopped.
        """
        if self.state is ActorState.TERMINATED:
            raise self.stopped_error()
        if self.state is ActorState.RUNNING:
            raise ActorError(f"actor {self.path!r} is already running")
        instance = self.factory()
        instance._cell = self
        self.instance = instance
        self._exit_requested = False
        self._planned = False
        if restart:
            self.restarts += 1
            await instance.restarted(cause)
        else:
            await instance.started()
        self.state = ActorState.RUNNING
        self.task = asyncio.get_running_loop().create_task(self._serve(instance), name=self.path)

    def request_exit(self) -> None:
        self._exit_requested = True
        self.mailbox._wake_receiver()

    async def halt(self, grace_s: float) -> None:
        """Stop serving after the current message (queue kept for the next instance)."""
        self._planned = True
        self.request_exit()
        await self._wait_or_cancel(grace_s)
        if self.state is not ActorState.TERMINATED:
            self.state = ActorState.STOPPED

    async def shutdown(self, grace_s: float) -> None:
        """Graceful stop: close the mailbox, handle the queue, run ``stopping()``, reject rest."""
        self._planned = True
        self.mailbox.close()
        await self._wait_or_cancel(grace_s)
        self.terminate()

    def kill(self) -> asyncio.Task[None] | None:
        """Cancel the serving task now (no drain) and reject the queue; returns the task."""
        self._planned = True
        task = self.task
        if task is not None and not task.done():
            task.cancel()
        else:
            task = None
        self.terminate()
        return task

    def terminate(self) -> None:
        """Close the mailbox for good and reject whatever is still queued."""
        self.mailbox.close()
        self.state = ActorState.TERMINATED
        for _, reply in self.mailbox.drain_nowait():
            if reply is None:
                self.dropped += 1
            elif not reply.done():
                reply.set_exception(
                    ActorStoppedError(f"actor {self.path!r} stopped before handling this ask")
                )

    async def _wait_or_cancel(self, grace_s: float) -> None:
        task = self.task
        if task is None or task.done():
            return
        if task is asyncio.current_task():
            return
        done, _ = await asyncio.wait({task}, timeout=max(grace_s, 0.0))
        if not done:
            _log.warning("actor.stop_timeout", actor=self.path, grace_s=grace_s)
            task.cancel()
            await asyncio.wait({task})

    async def _serve(self, instance: Actor) -> None:
        mailbox = self.mailbox
        buffer = mailbox._buffer
        loop = asyncio.get_running_loop()
        handle = instance.handle
        reply_errors = instance.reply_errors
        reply: asyncio.Future[Any] | None = None
        reason: BaseException | None = None
        try:
            while not self._exit_requested:
                if not buffer:
                    if mailbox._closed:
                        break
                    # Inlined Mailbox._wait_readable: this is the per-wake-up hot path.
                    waiter = loop.create_future()
                    mailbox._receive_waiter = waiter
                    try:
                        await waiter
                    finally:
                        mailbox._receive_waiter = None
                    continue
                message, reply = buffer.popleft()
                if mailbox._send_waiters:
                    mailbox._admit_sender()
                if reply is None:
                    try:
                        await handle(message)
                    except reply_errors as exc:
                        _log.warning("actor.tell_rejected", actor=self.path, error=repr(exc))
                elif not reply.done():
                    try:
                        result = await handle(message)
                    except reply_errors as exc:
                        if not reply.done():
                            reply.set_exception(exc)
                    else:
                        if not reply.done():
                            reply.set_result(result)
                reply = None
                self.processed += 1
            try:
                await instance.stopping()
            except Exception as exc:
                _log.error("actor.stopping_failed", actor=self.path, exc_info=exc)
        except asyncio.CancelledError:
            if reply is not None and not reply.done():
                reply.set_exception(
                    ActorStoppedError(f"actor {self.path!r} was stopped while handling this ask")
                )
            if not self._planned:
                reason = ActorStoppedError(f"actor {self.path!r} was cancelled")
                self._finish(reason)
            elif self.state is ActorState.RUNNING:
                self.state = ActorState.STOPPED
            raise
        except Exception as exc:
            self.crashes += 1
            reason = exc
            if reply is not None and not reply.done():
                reply.set_exception(exc)
            _log.error("actor.crashed", actor=self.path, exc_info=exc)
        self._finish(reason)

    def _finish(self, reason: BaseException | None) -> None:
        if self.state is ActorState.RUNNING:
            self.state = ActorState.STOPPED
        if self._planned:
            return
        if self.on_exit is not None:
            self.on_exit(self, reason)
        else:
            self.terminate()
