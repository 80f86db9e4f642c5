"""One authenticated websocket client: its subscriptions, commands, heartbeats and send path.

Per connection:

* the reader (the endpoint coroutine's task) parses frames and answers them;
* a heartbeat task sends ``heartbeat`` frames and closes the socket when the token expires.

Events: each subscription is a bounded EventHub queue that drops its oldest events when the
client reads too slowly (the hub never waits for a client): the client is told with a
``dropped`` frame, and closed with 1008 once it has lost more than a queue's worth of events
without catching up. The hub calls a subscription's ready callback from ``publish``; one
`_Dispatcher` per hub then writes, in one loop callback, every ready subscription's queued
frames (built once per event) straight to its socket with the server's `FrameWriter`: no
task wake and no websocket framing per delivery. A subscription whose socket cannot take
its frames now (write buffer full, a reply being sent, no `FrameWriter`) gets a pump task
that sends through ASGI ``websocket.send`` until its queue is empty; the dispatcher leaves
it alone meanwhile, so a topic's events keep the hub's order.

Other frames (replies, pongs, heartbeats) and pumps go out through one `asyncio.Lock`, so
frames never interleave. A send that cannot complete within a heartbeat interval (a client
that stopped reading) ends the connection.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol, cast

import structlog
from starlette.types import Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from actors import (
    Event,
    EventHub,
    EventHubError,
    Missed,
    Overflow,
    Subscription,
    SubscriptionClosedError,
)
from app.ws.config import WsConfig
from app.ws.protocol import (
    HEARTBEAT,
    PONG,
    Command,
    FrameCache,
    Ping,
    ProtocolError,
    Subscribe,
    Topic,
    Unsubscribe,
    dropped_frame,
    error_frame,
    frame,
    parse_client_message,
    parse_topic,
    reply_frame,
    wire_frame,
)
from app.ws.server_protocol import FrameWriter
from tenancy.auth import Principal, TokenBucketLimiter
from tenancy.errors import TenancyError
from tenancy.hosting import EDIT_COMMANDS
from tenancy.store import Role

__all__ = [
    "CLOSE_MESSAGE_TOO_BIG",
    "CLOSE_POLICY",
    "CLOSE_UNAUTHENTICATED",
    "CLOSE_UNAVAILABLE",
    "MAX_COMMANDS_IN_FLIGHT",
    "BrainHostPort",
    "Connection",
    "ConnectionQuota",
    "frame_cache",
]

CLOSE_UNAUTHENTICATED = 4401
CLOSE_POLICY = 1008
CLOSE_MESSAGE_TOO_BIG = 1009
CLOSE_INTERNAL = 1011
CLOSE_UNAVAILABLE = 1013
#: Commands of one connection running at once; more are refused with ``busy``.
MAX_COMMANDS_IN_FLIGHT = 8
#: Events one pump sends per `_send` (it loops until its queue is empty).
_BATCH = 64
#: Subscriptions one dispatcher callback serves before letting other callbacks run.
_FLUSH_CHUNK = 256
#: The least role a command needs, as on the REST routes (others: member): edits that change
#: what a brain is are for admins, like ``PUT .../genome``.
_COMMAND_ROLES: dict[str, Role] = {command: "admin" for command in EDIT_COMMANDS}

_log = structlog.get_logger("brainhost.ws")


class ConnectionQuota(Protocol):
    """Counts websocket connections per workspace (``tenancy.hosting.QuotaPolicy``)."""

    def acquire_connection(self, workspace_id: str) -> None: ...

    def release_connection(self, workspace_id: str) -> None: ...


class BrainHostPort(Protocol):
    """What the websocket layer needs of ``tenancy.hosting.BrainHost``."""

    @property
    def quotas(self) -> ConnectionQuota: ...

    async def brain_workspace(self, brain_id: str) -> str | None: ...

    async def ensure_default_brain(self, workspace_id: str) -> Any: ...

    async def command(
        self, workspace_id: str, brain_id: str, command: str, args: Mapping[str, Any]
    ) -> dict[str, Any]: ...


class _ConnectionOverError(Exception):
    """Raised inside a connection's tasks once it is over."""


class _Feed:
    """One subscription of one connection: what moving its events to the socket needs."""

    __slots__ = ("connection", "dispatcher", "gap", "lost_in_a_row", "pump", "scheduled", "sub")

    def __init__(
        self, connection: Connection, dispatcher: _Dispatcher, sub: Subscription, gap: int
    ) -> None:
        self.connection = connection
        self.dispatcher = dispatcher
        self.sub = sub
        #: Events of a resume gap already reported with the ``subscribed`` answer.
        self.gap = gap
        self.lost_in_a_row = 0
        #: The task sending through ASGI while the socket cannot take direct writes.
        self.pump: asyncio.Task[None] | None = None
        self.scheduled = False

    def ready(self) -> None:
        """The subscription's ready callback (called by the hub from ``publish``)."""
        if not self.scheduled:
            self.scheduled = True
            self.dispatcher.schedule(self)

    def close(self) -> None:
        if self.pump is not None:
            self.pump.cancel()
        self.sub.set_ready_callback(None)
        self.sub.close()


class _Dispatcher:
    """Serves every ready subscription of one hub's websocket connections in one callback.

    One ``call_soon`` per burst of publishes instead of a task wake per connection; a chunk
    of `_FLUSH_CHUNK` subscriptions at a time so other callbacks run in between.
    """

    def __init__(self, frames: FrameCache) -> None:
        self.frames = frames
        self._ready: deque[_Feed] = deque()
        self._handle: asyncio.Handle | None = None

    def schedule(self, feed: _Feed) -> None:
        self._ready.append(feed)
        if self._handle is None:
            self._handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        ready = self._ready
        for _ in range(min(len(ready), _FLUSH_CHUNK)):
            feed = ready.popleft()
            feed.scheduled = False
            try:
                feed.connection._deliver(feed)
            except Exception as exc:  # one connection's bug must not starve the others
                feed.connection._fail(exc, f"deliver-{feed.sub.topic}")
        self._handle = asyncio.get_running_loop().call_soon(self._flush) if ready else None


_dispatchers: weakref.WeakKeyDictionary[EventHub, _Dispatcher] = weakref.WeakKeyDictionary()


def _dispatcher(hub: EventHub) -> _Dispatcher:
    dispatcher = _dispatchers.get(hub)
    if dispatcher is None:
        dispatcher = _dispatchers[hub] = _Dispatcher(FrameCache())
    return dispatcher


def frame_cache(hub: EventHub) -> FrameCache:
    """The frame cache shared by every connection fed by ``hub``."""
    return _dispatcher(hub).frames


def _text(text: str) -> dict[str, Any]:
    return {"type": "websocket.send", "text": text}


_PONG = _text(PONG)
_HEARTBEAT = _text(HEARTBEAT)


class Connection:
    """One authenticated client: its subscriptions, commands, heartbeats and send path."""

    def __init__(
        self,
        websocket: WebSocket,
        *,
        principal: Principal,
        services: Any,
        config: WsConfig,
        hub: EventHub,
        host: BrainHostPort,
        asgi_send: Send | None = None,
        write_frames: FrameWriter | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.websocket = websocket
        # Frames go straight to the server's ASGI send: Starlette's state checks would run
        # once per delivery otherwise. Closing still goes through `websocket`.
        self._asgi_send = asgi_send if asgi_send is not None else websocket.send
        self._write_frames = write_frames
        self.principal = principal
        self.id = uuid.uuid4().hex[:12]
        self._services = services
        self._config = config
        self._hub = hub
        self._host = host
        self._dispatcher = _dispatcher(hub)
        self._frames = self._dispatcher.frames
        self._wall_clock = wall_clock
        self._limiter = TokenBucketLimiter(config.command_rate, clock=clock, max_keys=1)
        self._send_lock = asyncio.Lock()
        self._loop = asyncio.get_running_loop()
        self._sending_since: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._subscriptions: dict[str, _Feed] = {}
        # workspace id -> number of this connection's subscriptions in it (quota accounting)
        self._topic_workspace: dict[str, str] = {}
        self._watched: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands_in_flight = 0
        #: Set once the connection is being closed or is over: no more events go out.
        self._closing = False
        self._finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None

    # ------------------------------------------------------------------ lifecycle

    async def serve(self) -> None:
        """Run until the client leaves or the connection is closed; release everything."""
        self._spawn(self._read_loop(), "reader")
        self._spawn(self._heartbeat_loop(), "heartbeat")
        self._arm_watchdog()
        try:
            await self._finished
        finally:
            if self._watchdog is not None:
                self._watchdog.cancel()
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            for feed in self._subscriptions.values():
                feed.close()
            self._subscriptions.clear()
            for workspace_id in list(self._watched):
                self._release(workspace_id, all_of_them=True)

    def _spawn(self, coroutine: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coroutine, name=f"ws-{self.id}-{name}")
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None and not isinstance(error, _ConnectionOverError):
            self._fail(error, task.get_name())

    def _fail(self, error: BaseException, where: str) -> None:
        """Log an unexpected error of this connection's and close it (1011)."""
        _log.error(
            "ws_task_failed", connection=self.id, task=where, error=repr(error), exc_info=error
        )
        if not self._finished.done() and not self._closing:
            self._closing = True
            self._spawn(self._close(CLOSE_INTERNAL, "internal error"), "close")

    def _arm_watchdog(self) -> None:
        self._watchdog = self._loop.call_later(self._config.heartbeat_s, self._check_stuck)

    def _check_stuck(self) -> None:
        """End a connection whose send has been blocked for a heartbeat interval or more."""
        since = self._sending_since
        if since is not None and self._loop.time() - since >= self._config.heartbeat_s:
            _log.info("ws_client_stuck", connection=self.id, user_id=self.principal.user_id)
            self.close_code = CLOSE_POLICY
            self._finish()
        elif not self._finished.done():
            self._arm_watchdog()

    def _finish(self) -> None:
        self._closing = True
        if not self._finished.done():
            self._finished.set_result(None)

    async def _close(self, code: int, reason: str) -> None:
        """Send a close frame (if the socket still takes one) and end the connection."""
        self._closing = True
        self.close_code = code
        try:
            async with asyncio.timeout(min(1.0, self._config.heartbeat_s)), self._send_lock:
                if self.websocket.application_state is WebSocketState.CONNECTED:
                    await self.websocket.close(code, reason[:120])
        except (TimeoutError, RuntimeError, OSError, WebSocketDisconnect):
            pass
        finally:
            self._finish()

    # ------------------------------------------------------------------ sending

    async def _send(self, *messages: Mapping[str, Any]) -> None:
        """Send frames in order; a client that cannot take them within a heartbeat ends."""
        if self._finished.done():
            raise _ConnectionOverError
        send = self._asgi_send
        try:
            async with self._send_lock:
                # Read by the watchdog; cheaper than a timeout per send (a timer each).
                self._sending_since = self._loop.time()
                try:
                    for message in messages:
                        await send(message)  # type: ignore[arg-type]
                finally:
                    self._sending_since = None
        except (RuntimeError, OSError, WebSocketDisconnect):
            # The client went away (Starlette turns uvicorn's ClientDisconnected into
            # WebSocketDisconnect; a send after our own close is a RuntimeError).
            self._finish()
            raise _ConnectionOverError from None

    async def _send_text(self, text: str) -> None:
        await self._send(_text(text))

    # ------------------------------------------------------------------ reading

    async def _read_loop(self) -> None:
        receive = self.websocket.receive
        max_message = self._config.max_message
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                self.close_code = message.get("code")
                self._finish()
                return
            raw: str | bytes | None = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            size = len(raw) if isinstance(raw, bytes) else _utf8_length(raw, max_message)
            if size > max_message:
                await self._close(
                    CLOSE_MESSAGE_TOO_BIG,
                    f"message of {size} bytes is over the {max_message} byte limit",
                )
                return
            try:
                parsed = parse_client_message(raw, max_bytes=max_message)
                if isinstance(parsed, Ping):
                    await self._send(_PONG)
                elif isinstance(parsed, Subscribe):
                    await self._subscribe(parsed)
                elif isinstance(parsed, Unsubscribe):
                    await self._unsubscribe(parsed)
                else:
                    await self._command(parsed)
            except ProtocolError as exc:
                await self._send_text(
                    error_frame(exc.code, exc.message, id=exc.id, topic=exc.topic)
                )

    # ------------------------------------------------------------------ topics

    async def _authorize(self, topic: Topic) -> str:
        """The workspace of ``topic`` if the caller is seated in it; `ProtocolError` if not."""
        denied = ProtocolError(
            "forbidden",
            f"cannot subscribe to {topic.name!r}: it does not exist or is outside your workspaces",
            topic=topic.name,
        )
        if topic.kind == "workspace":
            workspace_id: str | None = topic.id
        else:
            workspace_id = await self._host.brain_workspace(topic.id)
        if workspace_id is None or not await self._is_member(workspace_id):
            raise denied
        return workspace_id

    def _watch(self, workspace_id: str, topic: str) -> None:
        """Count this connection toward the workspace's connection quota (once)."""
        if workspace_id not in self._watched:
            try:
                self._host.quotas.acquire_connection(workspace_id)
            except TenancyError as exc:
                raise ProtocolError(exc.code, exc.message, topic=topic) from None
        self._watched[workspace_id] = self._watched.get(workspace_id, 0) + 1
        self._topic_workspace[topic] = workspace_id

    def _release(self, workspace_id: str, *, all_of_them: bool = False) -> None:
        left = 0 if all_of_them else self._watched.get(workspace_id, 0) - 1
        if left > 0:
            self._watched[workspace_id] = left
            return
        self._watched.pop(workspace_id, None)
        self._host.quotas.release_connection(workspace_id)

    async def _is_member(self, workspace_id: str) -> bool:
        """Checked against the store (a token's membership list may be stale)."""
        return await self._seat_problem(workspace_id, "member") is None

    async def _seat_problem(self, workspace_id: str, minimum: Role) -> TenancyError | None:
        try:
            await self._services.workspaces.access(self.principal.user_id, workspace_id, minimum)
        except TenancyError as exc:
            return exc
        return None

    async def _subscribe(self, request: Subscribe) -> None:
        topic = parse_topic(request.topic)
        name = topic.name
        if name in self._subscriptions:
            raise ProtocolError("already_subscribed", f"already subscribed to {name!r}", topic=name)
        if len(self._subscriptions) >= self._config.max_subscriptions:
            raise ProtocolError(
                "too_many_subscriptions",
                f"a connection may subscribe to at most {self._config.max_subscriptions} "
                "topics (BRAINHOST_WS_MAX_SUBSCRIPTIONS); unsubscribe from one first",
                topic=name,
            )
        workspace_id = await self._authorize(topic)
        self._watch(workspace_id, name)
        try:
            subscription = self._hub.subscribe(
                name,
                since_seq=request.since_seq,
                epoch=request.epoch,
                queue_size=self._config.send_queue,
                overflow=Overflow.DROP_OLDEST,
            )
        except EventHubError as exc:
            self._topic_workspace.pop(name, None)
            self._release(workspace_id)
            raise ProtocolError("unavailable", str(exc), topic=name) from None
        # Until the ack is out, the subscription queues what is published meanwhile.
        gap = subscription.statistics().lost_total
        feed = _Feed(self, self._dispatcher, subscription, gap)
        self._subscriptions[name] = feed
        ack: dict[str, Any] = {
            "type": "subscribed",
            "topic": name,
            "seq": self._hub.last_seq(name),
            "epoch": self._hub.epoch,
            "resumed": subscription.resumed,
        }
        messages = [_text(frame(ack))]
        if subscription.resumed is False:
            detail = f"{gap} events" if gap else "some events"
            messages.append(
                _text(
                    error_frame(
                        "resume_gap",
                        f"cannot resume {name!r} from seq {request.since_seq}: {detail} are no "
                        "longer retained (or the server restarted); fetch a fresh snapshot",
                        topic=name,
                        missed=gap or None,
                    )
                )
            )
        await self._send(*messages)
        # Only now: the ack always goes out before any event (queued ones go at once).
        subscription.set_ready_callback(feed.ready)

    async def _unsubscribe(self, request: Unsubscribe) -> None:
        feed = self._subscriptions.pop(request.topic, None)
        if feed is None:
            raise ProtocolError(
                "not_subscribed", f"not subscribed to {request.topic!r}", topic=request.topic
            )
        feed.close()
        workspace_id = self._topic_workspace.pop(request.topic, None)
        if workspace_id is not None:
            self._release(workspace_id)
        await self._send_text(frame({"type": "unsubscribed", "topic": request.topic}))

    # ------------------------------------------------------------------ events

    def _deliver(self, feed: _Feed) -> None:
        """Write what ``feed`` has queued straight to the socket, or leave it to a pump.

        Called by the dispatcher; never raises, never waits.
        """
        if feed.pump is not None or self._closing:
            return  # a pump takes everything queued before it stops
        write = self._write_frames
        if write is None or self._send_lock.locked():
            self._start_pump(feed, [])
            return
        try:
            items = feed.sub.receive_many_nowait()
        except SubscriptionClosedError:
            return
        if len(items) == 1 and type(event := items[0]) is Event:
            # The steady state, one event since the last flush: no list of frames to build.
            feed.lost_in_a_row = 0
            if not write((self._frames.wire(event),)):
                self._start_pump(feed, [event])
            return
        batch = self._batch(feed, items)
        frames = self._frames
        wires = [wire_frame(item) if isinstance(item, str) else frames.wire(item) for item in batch]
        if wires and not write(wires):
            self._start_pump(feed, batch)
        elif feed.lost_in_a_row > self._config.send_queue:
            self._closing = True
            self._spawn(self._close_slow_consumer(feed), "close")

    def _start_pump(self, feed: _Feed, batch: list[Event | str]) -> None:
        feed.pump = self._spawn(self._pump(feed, batch), f"pump-{feed.sub.topic}")

    def _take(self, feed: _Feed, limit: int) -> list[Event | str]:
        """Up to ``limit`` queued events of ``feed``; losses become ``dropped`` frame texts."""
        return self._batch(feed, feed.sub.receive_many_nowait(limit))

    def _batch(self, feed: _Feed, items: list[Event | Missed]) -> list[Event | str]:
        """``items`` taken from ``feed`` with its losses as ``dropped`` frame texts.

        Counts the losses toward the slow-consumer rule.
        """
        if not items or type(items[0]) is not Missed:  # a marker only ever comes first
            feed.lost_in_a_row = 0
            return cast(list[Event | str], items)  # the usual case: events only
        batch: list[Event | str] = []
        lost = 0
        for item in items:
            if type(item) is Event:
                batch.append(item)
                continue
            assert isinstance(item, Missed)
            count = item.count
            if feed.gap:  # the replay gap was reported with the `subscribed` answer
                count, feed.gap = max(0, count - feed.gap), max(0, feed.gap - count)
            if count:
                lost += count
                batch.append(dropped_frame(feed.sub.topic, count))
        feed.lost_in_a_row = feed.lost_in_a_row + lost if lost else 0
        return batch

    async def _pump(self, feed: _Feed, batch: list[Event | str]) -> None:
        """Send ``feed``'s events through ASGI (waiting while the client's socket is full)
        until none is queued; then the dispatcher writes them directly again."""
        frames = self._frames
        try:
            while True:
                await self._send(
                    *[
                        _text(item) if isinstance(item, str) else frames.message(item)
                        for item in batch
                    ]
                )
                if feed.lost_in_a_row > self._config.send_queue:
                    self._closing = True
                    await self._close_slow_consumer(feed)
                    return
                try:
                    batch = self._take(feed, _BATCH)
                except SubscriptionClosedError:
                    return
                if not batch:
                    return
        finally:
            feed.pump = None

    async def _close_slow_consumer(self, feed: _Feed) -> None:
        topic, lost = feed.sub.topic, feed.lost_in_a_row
        _log.info(
            "ws_slow_consumer_closed",
            connection=self.id,
            user_id=self.principal.user_id,
            topic=topic,
            lost=lost,
        )
        await self._close(
            CLOSE_POLICY, f"slow consumer: lost {lost} events of {topic} without catching up"
        )

    # ------------------------------------------------------------------ commands

    async def _command(self, request: Command) -> None:
        wait_s = self._limiter.acquire("commands")
        if wait_s > 0:
            raise ProtocolError(
                "rate_limited",
                f"too many commands: at most {self._config.command_rate.capacity} per "
                f"{self._config.command_rate.period_s:g} s (BRAINHOST_WS_COMMAND_RATE); "
                f"retry in {wait_s:.2f} s",
                id=request.id,
            )
        if self._commands_in_flight >= MAX_COMMANDS_IN_FLIGHT:
            raise ProtocolError(
                "busy",
                f"{MAX_COMMANDS_IN_FLIGHT} commands of this connection are still running; "
                "wait for their replies",
                id=request.id,
            )
        self._commands_in_flight += 1
        self._spawn(self._run_command(request), f"command-{request.id}")

    async def _run_command(self, request: Command) -> None:
        try:
            text = await self._execute(request)
        finally:
            self._commands_in_flight -= 1
        await self._send_text(text)

    async def _execute(self, request: Command) -> str:
        host = self._host
        workspace_id = await host.brain_workspace(request.brain)
        problem = (
            None
            if workspace_id is None
            else await self._seat_problem(
                workspace_id, _COMMAND_ROLES.get(request.command, "member")
            )
        )
        if workspace_id is None or (problem is not None and problem.code == "not_found"):
            return reply_frame(
                request.id,
                error=(
                    "not_found",
                    f"brain {request.brain!r} does not exist or is outside your workspaces",
                ),
            )
        if problem is not None:
            return reply_frame(request.id, error=(problem.code, problem.message))
        try:
            result = await host.command(workspace_id, request.brain, request.command, request.args)
            return reply_frame(request.id, data=result)
        except TenancyError as exc:  # the host's errors: a stable code and an actionable message
            return reply_frame(request.id, error=(exc.code, exc.message), fields=exc.fields)
        except Exception:
            _log.exception("ws_command_failed", connection=self.id, command=request.command)
            return reply_frame(
                request.id, error=("internal", "the command failed unexpectedly; it was logged")
            )

    # ------------------------------------------------------------------ heartbeat

    async def _heartbeat_loop(self) -> None:
        interval = self._config.heartbeat_s
        expires_at = float(self.principal.expires_at)
        while True:
            left = expires_at - self._wall_clock()
            if left <= 0:
                await self._close(
                    CLOSE_UNAUTHENTICATED, "access token expired; reconnect with a fresh token"
                )
                return
            if left < interval:
                await asyncio.sleep(left)
                continue
            await asyncio.sleep(interval)
            await self._send(_HEARTBEAT)


def _utf8_length(text: str, limit: int) -> int:
    # Every character is 1-4 bytes: only encode when the answer is in doubt.
    if len(text) > limit:
        return len(text)
    if len(text) * 4 <= limit:
        return len(text)
    return len(text.encode())
