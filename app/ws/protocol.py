"""The ``/v1/ws`` wire protocol, without I/O: parse client frames, encode server frames.

Client -> server (JSON text or binary frames, at most ``max_bytes`` each)::

    {"type": "subscribe", "topic": "brain:<id>" | "workspace:<id>", "since_seq"?: int,
     "epoch"?: str}
    {"type": "unsubscribe", "topic": ...}
    {"type": "command", "id": str | int, "brain": str, "command": str, "args"?: {...}}
    {"type": "ping"}

Server -> client (JSON text frames)::

    {"type": "event", "topic", "seq", "ts", "event", "data"}
    {"type": "subscribed", "topic", "seq", "epoch", "resumed"}
    {"type": "unsubscribed", "topic"}
    {"type": "reply", "id", "ok": true, "data"} | {"type": "reply", "id", "ok": false,
                                                    "error": {"code", "message"}}
    {"type": "error", "code", "message", "id"?, "topic"?}
    {"type": "dropped", "topic", "count"}
    {"type": "pong"}, {"type": "heartbeat"}

An event frame is the same text for every subscriber: `FrameCache` builds it once per
published event by splicing the event's pre-serialized JSON object into a frame header, both
as an ASGI ``websocket.send`` message and as the serialized websocket frame (``wire``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError
from websockets.frames import Frame, Opcode

from actors import Event

__all__ = [
    "HEARTBEAT",
    "PONG",
    "ClientMessage",
    "Command",
    "FrameCache",
    "Ping",
    "ProtocolError",
    "Subscribe",
    "Topic",
    "Unsubscribe",
    "dropped_frame",
    "error_frame",
    "frame",
    "parse_client_message",
    "parse_topic",
    "reply_frame",
    "wire_frame",
]

TOPIC_KINDS = ("brain", "workspace")
_TOPIC = re.compile(r"^(brain|workspace):([A-Za-z0-9_.\-]{1,128})$")
MAX_ID_LENGTH = 128


class ProtocolError(Exception):
    """A client frame the server cannot act on; answered with an ``error`` frame.

    ``code`` is stable and machine-readable; ``message`` says what is wrong and where.
    ``id`` echoes the command id when the frame carried one, ``topic`` the topic.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        id: str | int | None = None,
        topic: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id
        self.topic = topic


@dataclass(frozen=True, slots=True)
class Topic:
    """A parsed topic name: ``kind`` is ``"brain"`` or ``"workspace"``."""

    kind: Literal["brain", "workspace"]
    id: str

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.id}"


def parse_topic(name: str) -> Topic:
    """``brain:<id>`` or ``workspace:<id>``; `ProtocolError` (``invalid_topic``) otherwise."""
    match = _TOPIC.match(name)
    if match is None:
        shown = name if len(name) <= 80 else name[:80] + "..."
        raise ProtocolError(
            "invalid_topic",
            f"topic {shown!r} is not 'brain:<id>' or 'workspace:<id>' (ids: letters, digits, "
            "'_', '-', '.', at most 128)",
            topic=name if len(name) <= 200 else None,
        )
    kind: Literal["brain", "workspace"] = "brain" if match.group(1) == "brain" else "workspace"
    return Topic(kind, match.group(2))


# ---------------------------------------------------------------------- client frames

_Strict = ConfigDict(extra="forbid", frozen=True)
_Id = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)] | StrictInt
_TopicName = Annotated[StrictStr, Field(min_length=1, max_length=300)]


class Subscribe(BaseModel):
    """Start receiving a topic's events, optionally replaying those after ``since_seq``."""

    model_config = _Strict
    type: Literal["subscribe"]
    topic: _TopicName
    since_seq: Annotated[StrictInt, Field(ge=0)] | None = None
    epoch: Annotated[StrictStr, Field(max_length=64)] | None = None


class Unsubscribe(BaseModel):
    """Stop receiving a topic."""

    model_config = _Strict
    type: Literal["unsubscribe"]
    topic: _TopicName


class Command(BaseModel):
    """Run ``command`` on ``brain``; answered by a ``reply`` frame carrying ``id``."""

    model_config = _Strict
    type: Literal["command"]
    id: _Id
    brain: Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID_LENGTH)]
    command: Annotated[StrictStr, Field(min_length=1, max_length=64)]
    args: dict[str, Any] = Field(default_factory=dict)


class Ping(BaseModel):
    """Answered by a ``pong`` frame (browsers cannot send websocket pings)."""

    model_config = _Strict
    type: Literal["ping"]


ClientMessage = Subscribe | Unsubscribe | Command | Ping

_MODELS: dict[str, type[BaseModel]] = {
    "subscribe": Subscribe,
    "unsubscribe": Unsubscribe,
    "command": Command,
    "ping": Ping,
}


def _echo_id(value: Any) -> str | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH):
        return value
    return None


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(message)"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def parse_client_message(raw: str | bytes, *, max_bytes: int) -> ClientMessage:
    """Decode one client frame; `ProtocolError` says what is wrong and where.

    Size is checked by the caller (an oversize frame closes the connection); ``max_bytes``
    is here so the parser can be used on its own safely.
    """
    size = len(raw.encode()) if isinstance(raw, str) else len(raw)
    if size > max_bytes:
        raise ProtocolError(
            "message_too_big", f"message is {size} bytes, over the limit of {max_bytes}"
        )
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("invalid_json", f"the message is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ProtocolError(
            "invalid_message",
            f"a message must be a JSON object with a 'type', got {type(document).__name__}",
        )
    echo = _echo_id(document.get("id"))
    kind = document.get("type")
    model = _MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        known = ", ".join(repr(name) for name in _MODELS)
        shown = repr(kind) if not isinstance(kind, str) or len(kind) <= 40 else "(a long string)"
        raise ProtocolError(
            "unknown_type", f"unknown message type {shown}; expected one of {known}", id=echo
        )
    try:
        message: ClientMessage = model.model_validate(document)  # type: ignore[assignment]
    except ValidationError as exc:
        raise ProtocolError(
            "invalid_message", f"invalid {kind!r} message: {_describe(exc)}", id=echo
        ) from None
    return message


# ---------------------------------------------------------------------- server frames

PONG = '{"type":"pong"}'
HEARTBEAT = '{"type":"heartbeat"}'


def frame(document: Mapping[str, Any]) -> str:
    """A server frame's text."""
    return orjson.dumps(document).decode()


def error_frame(
    code: str,
    message: str,
    *,
    id: str | int | None = None,
    topic: str | None = None,
    **extra: Any,
) -> str:
    """``{"type": "error", "code", "message", "id"?, "topic"?}``."""
    document: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if id is not None:
        document["id"] = id
    if topic is not None:
        document["topic"] = topic
    document.update(extra)
    return frame(document)


def reply_frame(
    id: str | int,
    *,
    data: Any = None,
    error: tuple[str, str] | None = None,
    fields: Mapping[str, str] | None = None,
) -> str:
    """A command's answer: ``ok`` with ``data``, or not ``ok`` with ``error`` (code, message
    and, for input errors, ``fields``: where -> what is wrong)."""
    if error is None:
        return frame({"type": "reply", "id": id, "ok": True, "data": data})
    code, message = error
    detail: dict[str, Any] = {"code": code, "message": message}
    if fields:
        detail["fields"] = dict(fields)
    return frame({"type": "reply", "id": id, "ok": False, "error": detail})


def dropped_frame(topic: str, count: int) -> str:
    """Tells a slow client that ``count`` events of ``topic`` were skipped for it."""
    return frame({"type": "dropped", "topic": topic, "count": count})


def wire_frame(text: str) -> bytes:
    """``text`` as one serialized, unmasked websocket text frame (what a server writes)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


def _event_frame(event: Event, ts: float) -> bytes:
    head = b'{"type":"event","topic":%b,"seq":%d,"ts":%.6f' % (
        orjson.dumps(event.topic),
        event.seq,
        ts,
    )
    data = event.data.strip()
    if data.startswith(b'{"event":') and data.endswith(b"}"):
        # The hub's usual payload, {"event": name, "data": ...}: splice its members in.
        return head + b"," + data[1:]
    # Anything else is parsed once (per event, not per subscriber) to find its name.
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        document = None
        data = orjson.dumps(data.decode(errors="replace"))
    if isinstance(document, dict) and isinstance(document.get("event"), str):
        body = {"event": document["event"], "data": document.get("data")}
        return head + b"," + orjson.dumps(body)[1:]
    return head + b',"event":"message","data":' + data + b"}"


class _Built(NamedTuple):
    message: dict[str, Any]
    wire: bytes


class FrameCache:
    """Event frames built once per published event and shared by every connection.

    Keyed by the hub's `Event` (topic, seq, data); each frame is kept as an ASGI message and
    as serialized websocket frame bytes. The oldest frames are forgotten once there are more
    than ``size`` of them or they hold more than ``max_bytes``; a forgotten frame is rebuilt
    if a late subscriber still needs it. ``ts`` is the server's wall-clock time (seconds)
    when the frame was built: when the first subscriber's sender picked the event up.
    """

    def __init__(
        self,
        size: int = 8192,
        *,
        max_bytes: int = 32 * 1_048_576,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if size < 1 or max_bytes < 1:
            raise ValueError(
                f"FrameCache needs size >= 1 and max_bytes >= 1, got {size}, {max_bytes}"
            )
        self._size = size
        self._max_bytes = max_bytes
        self._clock = clock
        self._frames: dict[Event, _Built] = {}
        self._bytes = 0
        self.built_total = 0

    def message(self, event: Event) -> dict[str, Any]:
        """The ASGI ``websocket.send`` message for ``event`` (the same object every time)."""
        built = self._frames.get(event)
        return (built or self._build(event)).message

    def wire(self, event: Event) -> bytes:
        """The serialized websocket frame for ``event`` (the same bytes every time)."""
        built = self._frames.get(event)
        return (built or self._build(event)).wire

    def text(self, event: Event) -> str:
        """The frame text for ``event``."""
        text: str = self.message(event)["text"]
        return text

    def _build(self, event: Event) -> _Built:
        payload = _event_frame(event, self._clock())
        built = _Built(
            {"type": "websocket.send", "text": payload.decode()},
            Frame(Opcode.TEXT, payload).serialize(mask=False),
        )
        frames = self._frames
        self._bytes += _size(built)
        while frames and (len(frames) >= self._size or self._bytes > self._max_bytes):
            self._bytes -= _size(frames.pop(next(iter(frames))))
        frames[event] = built
        self.built_total += 1
        return built

    @property
    def bytes_held(self) -> int:
        """Bytes of frames currently cached (text and serialized form)."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._frames)


def _size(built: _Built) -> int:
    return len(built.message["text"]) + len(built.wire)
