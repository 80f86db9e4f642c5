"""One authenticated websocket client: its subscriptions, commands, heartbeats and send path.

Per connection:

* the reader (the endpoint coroutine's task) parses frames and answers them;
* one pump task per subscription moves that subscription's events to the socket;
* a heartbeat task sends ``heartbeat`` frames and closes the socket when the token expires.

Every frame goes out through one `asyncio.Lock`, so frames never interleave and the
order within a topic is the hub's order. Each subscription is a bounded EventHub queue that
drops its oldest events when the client reads too slowly (the hub never waits for a
client): the client is told with a ``dropped`` frame, and closed with 1008 once it has lost
more than a queue's worth of events without catching up. A send that cannot complete within
a heartbeat interval (a client that stopped reading) ends the connection.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Callable, Coroutine, Mapping
from typing import Any, Protocol

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
)
from tenancy.auth import Principal, TokenBucketLimiter
from tenancy.errors import TenancyError
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
_BATCH = 64
#: The least role a command needs, as on the REST routes (others: member).
_COMMAND_ROLES: dict[str, Role] = {"put_genome": "admin"}

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


_frame_caches: weakref.WeakKeyDictionary[EventHub, FrameCache] = weakref.WeakKeyDictionary()


def frame_cache(hub: EventHub) -> FrameCache:
    """The frame cache shared by every connection fed by ``hub``."""
    cache = _frame_caches.get(hub)
    if cache is None:
        cache = _frame_caches[hub] = FrameCache()
    return cache


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
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.websocket = websocket
        # Frames go straight to the server's ASGI send: Starlette's state checks would run
        # once per delivery otherwise. Closing still goes through `websocket`.
        self._asgi_send = asgi_send if asgi_send is not None else websocket.send
        self.principal = principal
        self.id = uuid.uuid4().hex[:12]
        self._services = services
        self._config = config
        self._hub = hub
        self._host = host
        self._frames = frame_cache(hub)
        self._wall_clock = wall_clock
        self._limiter = TokenBucketLimiter(config.command_rate, clock=clock, max_keys=1)
        self._send_lock = asyncio.Lock()
        self._loop = asyncio.get_running_loop()
        self._sending_since: float | None = None
        self._watchdog: asyncio.TimerHandle | None = None
        self._subscriptions: dict[str, tuple[Subscription, asyncio.Task[None]]] = {}
        # workspace id -> number of this connection's subscriptions in it (quota accounting)
        self._topic_workspace: dict[str, str] = {}
        self._watched: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._commands_in_flight = 0
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
            for subscription, _ in self._subscriptions.values():
                subscription.close()
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
            _log.error(
                "ws_task_failed",
                connection=self.id,
                task=task.get_name(),
                error=repr(error),
                exc_info=error,
            )
            if not self._finished.done():
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
        if not self._finished.done():
            self._finished.set_result(None)

    async def _close(self, code: int, reason: str) -> None:
        """Send a close frame (if the socket still takes one) and end the connection."""
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
        # Until the pump starts, the subscription queues what is published meanwhile.
        gap = subscription.statistics().lost_total
        pump = self._spawn(self._pump(subscription, gap), f"pump-{name}")
        self._subscriptions[name] = (subscription, pump)
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
        # The pump needs the send lock too, so the ack always goes out before any event.
        await self._send(*messages)

    async def _unsubscribe(self, request: Unsubscribe) -> None:
        entry = self._subscriptions.pop(request.topic, None)
        if entry is None:
            raise ProtocolError(
                "not_subscribed", f"not subscribed to {request.topic!r}", topic=request.topic
            )
        subscription, pump = entry
        pump.cancel()
        subscription.close()
        workspace_id = self._topic_workspace.pop(request.topic, None)
        if workspace_id is not None:
            self._release(workspace_id)
        await self._send_text(frame({"type": "unsubscribed", "topic": request.topic}))

    async def _pump(self, subscription: Subscription, gap: int) -> None:
        """Move one subscription's events to the socket; enforce the slow-consumer rule."""
        frames = self._frames
        topic = subscription.topic
        limit = self._config.send_queue
        lost_in_a_row = 0
        while True:
            try:
                batch = await subscription.receive_many(_BATCH)
            except SubscriptionClosedError:
                return
            messages: list[Mapping[str, Any]] = []
            lost = 0
            for item in batch:
                if type(item) is Event:
                    messages.append(frames.message(item))
                    continue
                assert isinstance(item, Missed)
                count = item.count
                if gap:  # the replay gap was reported with the `subscribed` answer
                    count, gap = max(0, count - gap), max(0, gap - count)
                if count:
                    lost += count
                    messages.append(_text(dropped_frame(topic, count)))
            await self._send(*messages)
            if not lost:
                lost_in_a_row = 0
                continue
            lost_in_a_row += lost
            if lost_in_a_row > limit:
                _log.info(
                    "ws_slow_consumer_closed",
                    connection=self.id,
                    user_id=self.principal.user_id,
                    topic=topic,
                    lost=lost_in_a_row,
                )
                await self._close(
                    CLOSE_POLICY,
                    f"slow consumer: lost {lost_in_a_row} events of {topic} without catching up",
                )
                return

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
