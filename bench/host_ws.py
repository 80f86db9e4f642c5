"""Brain host (b): websocket fan-out of one brain topic to many subscribers.

    .venv/bin/python bench/host_ws.py [--quick] [--clients N] [--hz HZ] [--seconds S]
                                      [--client-loop uvloop|asyncio]

The server is the real app (``create_app`` + the production uvicorn config, on the event loop
that config selects, real SQLite store, real JWT auth, real brain host) in this process. N
websocket clients (1,000; 200 with --quick) run in a separate process (on uvloop unless
``--client-loop asyncio``: it reads all N sockets alone, and its own time per frame adds to
the latency it measures) so the server's CPU can be measured on its own; each
authenticates, subscribes to ``brain:<id>`` of the workspace's default brain and reads every
frame. This process publishes burst-shaped events on that topic at HZ (30) through the
EventHub, each carrying its publish time (``time.monotonic()``, one clock for both processes).

Reported per mode: publish -> client receive latency p50/p99 over every delivery, deliveries/s
received, the server process's CPU (seconds of CPU per second), and deliveries per server
CPU-second (what one core sustains at this load). Then a saturation run publishes as fast as
the server can deliver (each event is published once the previous one reached every
subscriber) to measure deliveries/s on one core directly.

Modes, measured in the same run on the same connections:

* ``encode once``: the shipped path. A frame is built and serialized once per event
  (``FrameCache``) and the same bytes are written to every connection
  (``app.ws.server_protocol``), one loop callback for all connections.
* ``json per connection`` (baseline): what a straightforward server does: the frame is a
  dict built once per event, ``json.dumps``-ed and framed for every connection.
* ``raw transport floor`` (baseline): no ASGI, no websocket library, no task per connection:
  the publisher writes one pre-framed websocket frame to each connection's asyncio transport
  in a plain loop. One ``send()`` system call per delivery is all that is left, so this is
  the most an asyncio server can deliver per CPU-second on this machine writing each frame
  on its own (saturated, the shipped path writes a connection's queued frames in one call).

Last, ``encode once, real brain bursting``: the workspace's default brain itself set to HZ and
started; its ``burst`` events (coalesced by the host) are timed from the frame's ``ts``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any, cast

import orjson
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# ----------------------------------------------------------------------------- client side


class _Client(asyncio.Protocol):
    """A minimal websocket client: handshake, one masked subscribe frame, count what arrives.

    Parsing every frame with the `websockets` library would cost the client process more CPU
    than the server spends; this parses only what the measurement needs.
    """

    def __init__(self, host: str, port: int, token: str, topic: str, sink: _Sink) -> None:
        self.request = (
            f"GET /v1/ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
        self.subscribe = _masked(orjson.dumps({"type": "subscribe", "topic": topic}), 0x1)
        self.sink = sink
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.subscribed = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass
        transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:12])
            del buffer[: end + 4]
            if b" 101" not in status:
                self.subscribed.set_exception(RuntimeError(f"handshake refused: {status!r}"))
                return
            self.upgraded = True
            assert self.transport is not None
            self.transport.write(self.subscribe)
        now = time.monotonic()
        at = 0
        size = len(buffer)
        while size - at >= 2:
            b0, b1 = buffer[at], buffer[at + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - at < 4:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 4], "big")
                head = 4
            elif length == 127:
                if size - at < 10:
                    break
                length = int.from_bytes(buffer[at + 2 : at + 10], "big")
                head = 10
            if size - at < head + length:
                break
            payload = bytes(buffer[at + head : at + head + length])
            at += head + length
            opcode = b0 & 0x0F
            if opcode == 0x1:
                self._text(payload, now)
            elif opcode == 0x9 and self.transport is not None:  # ping -> pong
                self.transport.write(_masked(payload, 0xA))
        del buffer[:at]

    def _text(self, payload: bytes, now: float) -> None:
        if payload.startswith(b'{"type":"event"'):
            marker = payload.rfind(b'"t_pub":')
            if marker >= 0:
                end = payload.find(b"}", marker)
                self.sink.record(now - float(payload[marker + 8 : end]))
            else:  # a real brain's event: from the frame's `ts` (wall clock, built at publish)
                start = payload.find(b'"ts":') + 5
                self.sink.record(time.time() - float(payload[start : payload.find(b",", start)]))
            return
        document = orjson.loads(payload)
        if document.get("type") == "subscribed" and not self.subscribed.done():
            self.subscribed.set_result(None)
        elif document.get("type") == "error" and not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(str(document)))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.subscribed.done():
            self.subscribed.set_exception(RuntimeError(f"connection lost: {exc}"))
        self.sink.lost += 1


def _masked(payload: bytes, opcode: int) -> bytes:
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    length = len(payload)
    if length < 126:
        header = bytes([0x80 | opcode, 0x80 | length])
    else:
        header = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
    return header + key + masked


class _Sink:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.recording = False
        self.received = 0
        self.lost = 0

    def record(self, latency: float) -> None:
        self.received += 1
        if self.recording:
            self.latencies.append(latency)


def _client_process(
    host: str, port: int, token: str, topic: str, count: int, pipe: Pipe, loop: str
) -> None:
    import uvloop

    # One process reads all N sockets: every microsecond it spends per frame adds to the
    # latency it measures, so by default it runs on uvloop too.
    factory = uvloop.new_event_loop if loop == "uvloop" else asyncio.new_event_loop
    with asyncio.Runner(loop_factory=factory) as runner:
        runner.run(_clients(host, port, token, topic, count, pipe))


async def _clients(host: str, port: int, token: str, topic: str, count: int, pipe: Pipe) -> None:
    loop = asyncio.get_running_loop()
    sink = _Sink()
    clients: list[_Client] = []
    for start in range(0, count, 50):  # connect in waves, like a reconnect storm would not
        wave = []
        for _ in range(start, min(count, start + 50)):
            _, client = await loop.create_connection(
                lambda: _Client(host, port, token, topic, sink), host, port
            )
            wave.append(client)
        await asyncio.wait_for(asyncio.gather(*(c.subscribed for c in wave)), 60)
        clients += wave
    pipe.send(("ready", len(clients)))
    while True:
        command = await loop.run_in_executor(None, pipe.recv)
        if command == "start":
            sink.latencies = []
            sink.received = 0
            sink.recording = True
        elif command == "stop":
            sink.recording = False
            pipe.send(("result", sink.latencies, sink.received, sink.lost))
        elif command == "count":
            pipe.send(("count", sink.received))
        elif command == "quit":
            for client in clients:
                if client.transport is not None:
                    client.transport.close()
            return


# ----------------------------------------------------------------------------- server side


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _burst_event(n: int) -> dict[str, Any]:
    # Shaped like a barebones brain's burst report (see tenancy/hosting), plus the publish time.
    return {
        "event": "burst",
        "data": {
            "burst": n,
            "fired": {"_power": 1, "i__inf": 0, "o__mot": 0, "___pwr": 1, "i__pro": 2},
            "motor": {"o__mot": [[0, 0, 0, 0.0]]},
            "t_pub": time.monotonic(),
        },
    }


def _use_baseline(cache: Any) -> None:
    """Make the shared frame cache build a fresh frame per connection, json.dumps-style."""
    from app.ws.protocol import wire_frame

    documents: dict[Any, dict[str, Any]] = {}

    def text(event: Any) -> str:
        document = documents.get(event)
        if document is None:
            document = {
                "type": "event",
                "topic": event.topic,
                "seq": event.seq,
                "ts": time.time(),
                **orjson.loads(event.data),
            }
            documents[event] = document
            if len(documents) > 1024:
                del documents[next(iter(documents))]
        return json.dumps(document, separators=(",", ":"))

    cache.message = lambda event: {"type": "websocket.send", "text": text(event)}
    cache.wire = lambda event: wire_frame(text(event))


def _use_encode_once(cache: Any) -> None:
    cache.__dict__.pop("message", None)
    cache.__dict__.pop("wire", None)


class _RawFanOut:
    """The floor: writes one pre-framed text frame to every websocket transport in a loop."""

    def __init__(self, server: Any) -> None:
        self.seq = 0
        self.transports = [
            protocol.transport
            for protocol in server.server_state.connections
            if getattr(protocol, "handshake_complete", False) and hasattr(protocol, "conn")
        ]

    def publish(self, topic: str, event: dict[str, Any]) -> None:
        self.seq += 1
        text = b'{"type":"event","topic":%b,"seq":%d,"ts":%.6f,%b' % (
            orjson.dumps(topic),
            self.seq,
            time.time(),
            orjson.dumps(event)[1:],
        )
        length = len(text)
        header = (
            bytes([0x81, length])
            if length < 126
            else bytes([0x81, 126]) + length.to_bytes(2, "big")
        )
        frame = header + text
        for transport in self.transports:
            transport.write(frame)

    def queued(self) -> int:
        return sum(t.get_write_buffer_size() > 0 for t in self.transports)


def _pending(target: Any, topic: str) -> bool:
    if isinstance(target, _RawFanOut):
        return target.queued() > 0
    # Subscribers are served in subscription order: while the last one still has events
    # queued the others need no look (scanning all 1,000 on every poll would cost the server
    # process more CPU than the fan-out it measures).
    return any(sub.statistics().queued for sub in reversed(target._exact.get(topic, {})))


def _cpu_of(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


async def _collect(
    pipe: Pipe, *, cpu0: float, wall0: float, client0: float, client_pid: int, expected: int
) -> dict[str, Any]:
    cpu = time.process_time() - cpu0
    wall = time.monotonic() - wall0
    client_cpu = _cpu_of(client_pid) - client0
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + 3.0
    while expected and time.monotonic() < deadline:  # a busy machine can delay the last frames
        pipe.send("count")
        _, received = await loop.run_in_executor(None, pipe.recv)
        if received >= expected:
            break
        await asyncio.sleep(0.1)
    pipe.send("stop")
    kind, latencies, received, _lost = await loop.run_in_executor(None, pipe.recv)
    assert kind == "result"
    latencies.sort()
    return {
        "delivered": received,
        "expected": expected,
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "max_ms": (latencies[-1] if latencies else float("nan")) * 1000,
        "deliveries_per_s": received / wall,
        "server_cpu": cpu / wall,
        "client_cpu": client_cpu / wall,
        "per_cpu_s": received / cpu if cpu > 0 else float("nan"),
    }


async def _measure(
    target: Any, topic: str, pipe: Pipe, *, hz: float, seconds: float, clients: int, client_pid: int
) -> dict[str, Any]:
    """Publish at ``hz`` (after a one-second warm-up) for ``seconds``."""
    period = 1.0 / hz
    n = 0
    started = time.monotonic()
    while time.monotonic() - started < 1.0:
        target.publish(topic, _burst_event(n))
        n += 1
        await asyncio.sleep(period)
    await asyncio.sleep(0.3)
    pipe.send("start")
    client0, cpu0, wall0 = _cpu_of(client_pid), time.process_time(), time.monotonic()
    published = 0
    while time.monotonic() - wall0 < seconds:
        delay = wall0 + published * period - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        target.publish(topic, _burst_event(n))
        n += 1
        published += 1
    await asyncio.sleep(0.3)  # the last events arrive
    return await _collect(
        pipe,
        cpu0=cpu0,
        wall0=wall0,
        client0=client0,
        client_pid=client_pid,
        expected=published * clients,
    )


async def _saturate(
    target: Any, topic: str, pipe: Pipe, *, seconds: float, clients: int, client_pid: int
) -> dict[str, Any]:
    """Publish 4 events, wait until every connection took them, repeat."""
    pipe.send("start")
    client0, cpu0, wall0 = _cpu_of(client_pid), time.process_time(), time.monotonic()
    published = 0
    while time.monotonic() - wall0 < seconds:
        for _ in range(4):
            target.publish(topic, _burst_event(published))
            published += 1
        while _pending(target, topic):  # noqa: ASYNC110 - polling the queues is the point
            await asyncio.sleep(0)
    await asyncio.sleep(0.5)
    return await _collect(
        pipe,
        cpu0=cpu0,
        wall0=wall0,
        client0=client0,
        client_pid=client_pid,
        expected=published * clients,
    )


async def _real_brain(
    services: Any,
    workspace_id: str,
    brain_id: str,
    pipe: Pipe,
    *,
    hz: float,
    seconds: float,
    client_pid: int,
) -> dict[str, Any]:
    """The default brain itself bursting at ``hz``: its coalesced ``burst`` events."""
    host, hub, topic = services.brains, services.actors.events, f"brain:{brain_id}"
    await host.command(workspace_id, brain_id, "set_frequency", {"hz": hz})
    await host.command(workspace_id, brain_id, "start", {})
    await asyncio.sleep(1.0)
    pipe.send("start")
    first = hub.last_seq(topic)
    client0, cpu0, wall0 = _cpu_of(client_pid), time.process_time(), time.monotonic()
    await asyncio.sleep(seconds)
    events = hub.last_seq(topic) - first
    await host.command(workspace_id, brain_id, "stop", {})
    await asyncio.sleep(0.3)
    row = await _collect(
        pipe, cpu0=cpu0, wall0=wall0, client0=client0, client_pid=client_pid, expected=0
    )
    row["expected"] = events * (row["delivered"] // max(1, events))
    row["events_per_s"] = events / seconds
    return row


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p / 100))]


MODES = ("encode once", "json per connection", "raw transport floor")
REAL = "encode once, real brain bursting"


def _server_config(args: argparse.Namespace) -> Any:
    """The production uvicorn config (``server_config``) of an app on a fresh data dir."""
    import structlog

    from app.main import create_app
    from app.server import server_config
    from app.settings import load_settings

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    settings = load_settings(
        {
            "BRAINHOST_DATA_DIR": tempfile.mkdtemp(prefix="brainhost-bench-ws-"),
            "BRAINHOST_PORT": str(_free_port()),
            "BRAINHOST_LOG_LEVEL": "error",
            "BRAINHOST_QUOTA_MAX_WS_CONNECTIONS": str(args.clients + 10),
        }
    )
    return server_config(create_app(settings), settings)


async def _run(args: argparse.Namespace, config: Any) -> dict[str, Any]:
    import uvicorn

    from app.ws.connection import frame_cache
    from tenancy.store.records import User

    app, port = config.app, config.port
    server = uvicorn.Server(config)
    serving = asyncio.get_running_loop().create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for this
        await asyncio.sleep(0.01)
    services = app.state.services
    user = User("usr_benchws00000000", "bench@example.org", datetime.now(UTC))
    await services.store.users.create(user)
    workspace = await services.workspaces.create(user, "Bench", "bench-ws")
    brain = await services.brains.ensure_default_brain(workspace.id)
    token, _ = services.auth.codec.issue(
        user_id=user.id,
        email=user.email,
        session_id="fam_bench",
        workspaces={workspace.id: "owner"},
    )
    topic = f"brain:{brain.id}"
    hub = services.actors.events

    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=_client_process,
        args=("127.0.0.1", port, token, topic, args.clients, child, args.client_loop),
    )
    process.start()
    connect0 = time.monotonic()
    if not await asyncio.get_running_loop().run_in_executor(None, parent.poll, 180):
        raise RuntimeError("the client process did not connect within 180 s (see its error)")
    kind, opened = parent.recv()
    assert kind == "ready" and opened == args.clients
    results: dict[str, Any] = {
        "clients": args.clients,
        "hz": args.hz,
        "connect_s": time.monotonic() - connect0,
        "loop": type(asyncio.get_running_loop()).__module__.split(".")[0],
        "client_loop": args.client_loop,
    }
    cache = frame_cache(hub)
    pid = process.pid
    assert pid is not None
    try:
        for mode in MODES:
            target: Any = hub
            _use_encode_once(cache)
            if mode == "json per connection":
                _use_baseline(cache)
            elif mode == "raw transport floor":
                target = _RawFanOut(server)
                assert len(target.transports) == args.clients, len(target.transports)
            common = {"clients": args.clients, "client_pid": pid}
            results[mode] = await _measure(
                target, topic, parent, hz=args.hz, seconds=args.seconds, **common
            )
            results[mode + " (saturated)"] = await _saturate(
                target, topic, parent, seconds=args.seconds / 2, **common
            )
        _use_encode_once(cache)
        results[REAL] = await _real_brain(
            services,
            workspace.id,
            brain.id,
            parent,
            hz=args.hz,
            seconds=args.seconds,
            client_pid=pid,
        )
    finally:
        parent.send("quit")
        process.join(30)
        server.should_exit = True
        await serving
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 clients, 3 s per mode")
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--hz", type=float, default=30.0)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument(
        "--client-loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="event loop of the client process",
    )
    args = parser.parse_args()
    args.clients = args.clients or (200 if args.quick else 1000)
    args.seconds = args.seconds or (3.0 if args.quick else 10.0)
    config = _server_config(args)
    # The event loop production runs on (`Server.run` uses the config's loop factory).
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        results = runner.run(_run(args, config))
    print(
        f"\nwebsocket fan-out: {results['clients']} clients on one brain topic, "
        f"{results['hz']:g} Hz, server on {results['loop']}, clients in a separate process "
        f"on {results['client_loop']} (connected in {results['connect_s']:.1f} s)\n"
    )
    header = (
        f"{'mode':<34}{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'deliv/s':>10}"
        f"{'srv CPU':>9}{'deliv/CPU-s':>13}{'cli CPU':>9}{'received':>17}"
    )
    print(header)
    print("-" * len(header))
    for mode in MODES:
        for label in (mode, mode + " (saturated)"):
            row = results[label]
            print(
                f"{label:<34}{row['p50_ms']:>8.2f}{row['p99_ms']:>8.2f}{row['max_ms']:>8.1f}"
                f"{row['deliveries_per_s']:>10,.0f}{row['server_cpu']:>8.0%} "
                f"{row['per_cpu_s']:>12,.0f}{row['client_cpu']:>8.0%} "
                f"{row['delivered']:>8,}/{row['expected']:<8,}"
            )
    row = results[REAL]
    print(
        f"{REAL:<34}{row['p50_ms']:>8.2f}{row['p99_ms']:>8.2f}{row['max_ms']:>8.1f}"
        f"{row['deliveries_per_s']:>10,.0f}{row['server_cpu']:>8.0%} "
        f"{row['per_cpu_s']:>12,.0f}{row['client_cpu']:>8.0%} "
        f"{row['delivered']:>8,} ({row['events_per_s']:.1f} events/s)"
    )
    once, base = results["encode once"], results["json per connection"]
    sat_once = results["encode once (saturated)"]
    sat_base = results["json per connection (saturated)"]
    floor = results["raw transport floor (saturated)"]
    print(
        f"\nencode once vs json per connection: server CPU at {results['hz']:g} Hz "
        f"{once['server_cpu'] / base['server_cpu']:.2f}x, deliveries per CPU-second "
        f"{once['per_cpu_s'] / base['per_cpu_s']:.2f}x (saturated: "
        f"{sat_once['per_cpu_s'] / sat_base['per_cpu_s']:.2f}x); encode once delivers "
        f"{sat_once['per_cpu_s'] / floor['per_cpu_s']:.0%} of the raw transport floor per "
        "CPU-second"
    )
    print(
        f"targets: p50 <= 5 ms ({once['p50_ms']:.2f}), p99 <= 25 ms ({once['p99_ms']:.2f}), "
        f">= 100k deliveries/s on one core ({sat_once['per_cpu_s']:,.0f} per server "
        f"CPU-second saturated; raw floor {floor['per_cpu_s']:,.0f})"
    )


if __name__ == "__main__":
    main()
