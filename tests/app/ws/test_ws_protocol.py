"""The wire protocol without a network: client frame parsing, topics, frame building."""

from __future__ import annotations

import logging

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.frames import Frame, Opcode
from websockets.protocol import Protocol as WebSocketProtocol
from websockets.protocol import Side

from actors import Event
from app.settings import SettingsError, load_settings
from app.ws import WsConfig
from app.ws.handshake import TokenRedactingFilter, websocket_credentials
from app.ws.protocol import (
    Command,
    FrameCache,
    Ping,
    ProtocolError,
    Subscribe,
    dropped_frame,
    error_frame,
    parse_client_message,
    parse_topic,
    reply_frame,
)
from tenancy.auth import RateLimit

LIMIT = 1 << 20

# ----------------------------------------------------------------------------- parsing


def test_each_message_type_parses_into_its_model() -> None:
    assert parse_client_message('{"type":"ping"}', max_bytes=LIMIT) == Ping(type="ping")
    subscribe = parse_client_message(
        b'{"type":"subscribe","topic":"brain:b1","since_seq":4}', max_bytes=LIMIT
    )
    assert isinstance(subscribe, Subscribe) and subscribe.since_seq == 4
    command = parse_client_message(
        '{"type":"command","id":7,"brain":"b1","command":"step","args":{"n":2}}', max_bytes=LIMIT
    )
    assert isinstance(command, Command) and command.args == {"n": 2} and command.id == 7


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "invalid_json"),
        ("nul", "invalid_json"),
        ('"ping"', "invalid_message"),
        ('{"type": 3}', "unknown_type"),
        ('{"type": "ping", "type2": 1}', "invalid_message"),
        ('{"type": "subscribe", "topic": 5}', "invalid_message"),
        ('{"type": "subscribe", "topic": "brain:b", "since_seq": "3"}', "invalid_message"),
        ('{"type": "command", "id": true, "brain": "b", "command": "x"}', "invalid_message"),
        (
            '{"type": "command", "id": "a", "brain": "b", "command": "x", "args": []}',
            "invalid_message",
        ),
    ],
)
def test_bad_frames_raise_a_protocol_error_with_a_code(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as error:
        parse_client_message(raw, max_bytes=LIMIT)
    assert error.value.code == code
    assert error.value.message


def test_an_invalid_command_error_echoes_the_id_and_names_the_field() -> None:
    with pytest.raises(ProtocolError) as error:
        parse_client_message('{"type":"command","id":"c9","brain":"b"}', max_bytes=LIMIT)
    assert error.value.id == "c9"
    assert "command" in error.value.message


def test_the_parser_enforces_the_size_limit_in_utf8_bytes() -> None:
    text = '{"type":"ping","x":"' + "é" * 10 + '"}'
    with pytest.raises(ProtocolError) as error:
        parse_client_message(text, max_bytes=len(text) + 5)
    assert error.value.code == "message_too_big"


@given(st.one_of(st.text(max_size=200), st.binary(max_size=200)))
def test_no_input_raises_anything_but_a_protocol_error(raw: str | bytes) -> None:
    try:
        parse_client_message(raw, max_bytes=LIMIT)
    except ProtocolError as error:
        assert error.code in {"invalid_json", "invalid_message", "unknown_type"}


@given(
    st.dictionaries(
        st.sampled_from(["type", "topic", "id", "brain", "command", "args", "since_seq", "x"]),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-(2**63), 2**63 - 1),
            st.text(max_size=20),
            st.sampled_from(["ping", "subscribe", "unsubscribe", "command", "brain:b"]),
            st.dictionaries(st.text(max_size=5), st.integers(-9, 9), max_size=2),
        ),
        max_size=6,
    )
)
def test_json_objects_either_parse_or_get_a_protocol_error(document: dict[str, object]) -> None:
    try:
        message = parse_client_message(orjson.dumps(document), max_bytes=LIMIT)
    except ProtocolError:
        return
    assert message.type == document["type"]


# ----------------------------------------------------------------------------- topics


def test_topics_are_brain_or_workspace_with_an_id() -> None:
    assert parse_topic("brain:br_1-x.y").kind == "brain"
    topic = parse_topic("workspace:ws_ABC")
    assert (topic.kind, topic.id, topic.name) == ("workspace", "ws_ABC", "workspace:ws_ABC")


@given(st.text(max_size=60))
def test_topic_parsing_accepts_exactly_the_two_forms(name: str) -> None:
    try:
        topic = parse_topic(name)
    except ProtocolError as error:
        assert error.code == "invalid_topic"
        return
    assert topic.name == name


# ----------------------------------------------------------------------------- frames


def test_an_event_frame_splices_the_published_object_in() -> None:
    cache = FrameCache(clock=lambda: 12.5)
    data = orjson.dumps({"event": "burst", "data": {"burst": 3, "fired": {"a": 1}}})
    frame = orjson.loads(cache.text(Event("brain:b", 9, data, 1)))
    assert frame == {
        "type": "event",
        "topic": "brain:b",
        "seq": 9,
        "ts": 12.5,
        "event": "burst",
        "data": {"burst": 3, "fired": {"a": 1}},
    }


@pytest.mark.parametrize(
    ("payload", "event", "data"),
    [
        (b'{"data": 1, "event": "late"}', "late", 1),
        (b'{"kind": "x"}', "message", {"kind": "x"}),
        (b"[1, 2]", "message", [1, 2]),
        (b"7", "message", 7),
        (b"not json", "message", "not json"),
    ],
)
def test_other_payloads_still_make_a_valid_event_frame(
    payload: bytes, event: str, data: object
) -> None:
    frame = orjson.loads(FrameCache().text(Event("workspace:w", 1, payload, 1)))
    assert (frame["type"], frame["event"], frame["data"]) == ("event", event, data)


def test_a_frame_is_built_once_per_event_and_shared() -> None:
    cache = FrameCache()
    event = Event("brain:b", 1, b'{"event":"x","data":null}', 1)
    first = cache.message(event)
    assert cache.message(event) is first
    assert cache.message(Event("brain:b", 1, event.data, 1)) is first  # equal event, same frame
    assert cache.built_total == 1


def test_the_wire_form_of_an_event_frame_is_its_text_as_one_websocket_text_frame() -> None:
    cache = FrameCache()
    event = Event("brain:b", 1, '{"event":"x","data":"été"}'.encode(), 1)
    client = WebSocketProtocol(Side.CLIENT)  # what a client's websockets library parses
    client.receive_data(cache.wire(event))
    [received] = client.events_received()
    assert isinstance(received, Frame) and received.opcode is Opcode.TEXT and received.fin
    assert received.data.decode() == cache.text(event)


def test_the_frame_cache_is_bounded_by_count_and_by_bytes() -> None:
    by_count = FrameCache(size=3)
    for seq in range(10):
        by_count.message(Event("t:x", seq, b"{}", seq))
    assert len(by_count) == 3
    by_bytes = FrameCache(max_bytes=2000)
    for seq in range(10):
        by_bytes.message(Event("t:x", seq, b'"' + b"x" * 500 + b'"', seq))
    assert by_bytes.bytes_held <= 2000 and len(by_bytes) < 10


def test_server_frames_are_compact_json() -> None:
    assert orjson.loads(error_frame("c", "m", id=3, topic="t")) == {
        "type": "error",
        "code": "c",
        "message": "m",
        "id": 3,
        "topic": "t",
    }
    assert orjson.loads(reply_frame("a", data={"x": 1}))["ok"] is True
    failed = orjson.loads(reply_frame("a", error=("bad", "why"), fields={"args.n": "too big"}))
    assert failed["error"] == {"code": "bad", "message": "why", "fields": {"args.n": "too big"}}
    assert orjson.loads(dropped_frame("t", 4)) == {"type": "dropped", "topic": "t", "count": 4}


# ----------------------------------------------------------------------------- handshake


def test_credentials_come_from_header_then_subprotocol_then_query() -> None:
    both = websocket_credentials({"authorization": "Bearer h"}, ["bearer", "s"], b"token=q")
    assert (both.token, both.subprotocol, both.source) == ("h", "bearer", "header")
    sub = websocket_credentials({}, ["bearer", "s"], b"token=q")
    assert (sub.token, sub.subprotocol) == ("s", "bearer")
    query = websocket_credentials({}, [], b"a=1&token=q")
    assert (query.token, query.subprotocol) == ("q", None)
    assert websocket_credentials({}, [], b"").token is None
    assert websocket_credentials({"authorization": "Basic x"}, [], b"").token is None
    assert websocket_credentials({}, ["bearer"], b"").token is None


def test_the_log_filter_redacts_query_tokens_and_bearer_values() -> None:
    record = logging.LogRecord(
        "uvicorn.error",
        logging.INFO,
        __file__,
        1,
        "%s %s %s",
        ("/v1/ws?token=abc.def&x=1", "bearer, abc.def", "Bearer abc.def"),
        None,
    )
    TokenRedactingFilter().filter(record)
    assert "abc.def" not in record.getMessage()
    assert "x=1" in record.getMessage()


# ----------------------------------------------------------------------------- settings


def test_websocket_settings_map_to_the_connection_config() -> None:
    config = WsConfig.from_settings(
        load_settings({"BRAINHOST_WS_COMMAND_RATE": "5/0.5", "BRAINHOST_WS_SEND_QUEUE": "16"})
    )
    assert config.command_rate == RateLimit(5, 0.5) and config.send_queue == 16
    assert WsConfig.from_settings(load_settings({})) == WsConfig()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BRAINHOST_WS_COMMAND_RATE", "fast"),
        ("BRAINHOST_WS_COMMAND_RATE", "0/1"),
        ("BRAINHOST_WS_COMMAND_RATE", "3/0"),
        ("BRAINHOST_WS_MAX_MESSAGE", "10"),
        ("BRAINHOST_WS_HEARTBEAT_S", "0"),
        ("BRAINHOST_WS_SEND_QUEUE", "0"),
        ("BRAINHOST_WS_MAX_SUBSCRIPTIONS", "0"),
    ],
)
def test_a_bad_websocket_setting_is_refused_naming_the_variable(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({variable: value})
    assert variable in str(error.value)
