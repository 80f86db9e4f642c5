"""Brain host at scale: (a) many small brains bursting, (c) REST latency of brain stats.

    .venv/bin/python bench/host.py [--quick]

(a) N barebones brains (10,000; 1,000 with --quick) in a real BrainHost (real actor system,
real SQLite store) bursting at 10 Hz on the shared tick scheduler. Reported: creation and
reactivation time, RSS, CPU share of one core, achieved burst rate. Same-run baselines, each
in its own process like the host (so RSS figures are comparable):

* ``plain loop``: the same N brains (``Brain.develop`` of the same genome) stepped by one plain
  Python loop of ``BurstEngine.step()`` calls, ten passes a second: the least a host that
  keeps one engine per brain can spend. The host's CPU is reported as a ratio to it.
* ``BrainBatch``: the same N networks packed in one ``brains.npu.BrainBatch``, one kernel
  call per tick: what batching the bursts (not used by the host yet) would cost.

(c) ``GET /v1/workspaces/{ws}/brains/{brain}/stats`` at a fixed 500 requests/s (open loop)
against a real ``brainhost serve`` (uvicorn) on loopback from 16 keep-alive connections (uvloop),
next to ``GET /v1/health`` measured the same way in the same run (the baseline), and the
brain's FEAGI-compatible ``GET /feagi/{key}/v1/burst_engine/stats``. When the FEAGI reference
engine can run (``../shared/tools/feagi-reference/run_feagi.sh``, through
``bench/feagi_reference.py``), its own ``GET /v1/burst_engine/stats`` is measured with the
same open-loop client at the same rate, with FEAGI-core's essential genome loaded and bursting
at the brainhost brain's frequency; brainhost is stopped by then, so the two never share CPU.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import psutil
import uvloop

# This folder holds bench/actors.py: keep it from shadowing the `actors` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

HZ = 10.0
REACTIVATE_SAMPLE = 1_000  # reactivation is timed on this many brains, scaled to N
BRAINS_PER_WORKSPACE = 100
FEAGI_PORT = 8290
FEAGI_GENOME = _HERE.parents[1] / "shared/genomes/feagi_core_essential_genome_v2_1.json"


def _rss_mib() -> float:
    return float(psutil.Process().memory_info().rss) / 2**20


def _cpu_s() -> float:
    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


# ----------------------------------------------------------------------- (a) host


async def _phase_host(n: int, seconds: float) -> dict[str, Any]:
    import structlog

    from actors import ActorSystem
    from tenancy.hosting import BrainHost, HostConfig, Quotas
    from tenancy.store import Workspace, open_store

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    rss_start = _rss_mib()
    data = Path(tempfile.mkdtemp(prefix="bench-host-"))
    store = await open_store("sqlite:///store", data_dir=data, max_open_workspaces=256)
    spaces = [f"ws{i:04d}" for i in range((n + BRAINS_PER_WORKSPACE - 1) // BRAINS_PER_WORKSPACE)]
    for ws in spaces:
        await store.workspaces.create(
            Workspace(id=ws, slug=ws, name=ws, created_at=datetime.now(UTC))
        )
        await store.provision_workspace(ws)
    config = HostConfig(
        default_frequency_hz=HZ,
        brain_idle_s=3600.0,
        quotas=Quotas(max_brains=10**6, max_neurons=10**9, max_synapses=10**9),
    )

    async def open_host() -> tuple[ActorSystem, BrainHost]:
        system = ActorSystem(max_active_virtual=n + 1000)
        await system.start()
        host = BrainHost(system, store, config)
        await host.start()
        return system, host

    system, host = await open_host()
    ids: list[tuple[str, str]] = []

    async def fill(ws: str, count: int) -> None:
        for k in range(count):
            info = await host.create_brain(ws, name=f"b{k}", template="barebones")
            ids.append((ws, info.id))

    started = time.perf_counter()
    remaining = n
    jobs = []
    for ws in spaces:
        count = min(BRAINS_PER_WORKSPACE, remaining)
        remaining -= count
        jobs.append(fill(ws, count))
    await asyncio.gather(*jobs)
    create_s = time.perf_counter() - started

    started = time.perf_counter()
    await asyncio.gather(*(host.command(ws, b, "start", {}) for ws, b in ids))
    start_s = time.perf_counter() - started

    # Steady state: every brain packed in its cohort's batch (repacking after the wave of
    # starts is spread over ticks and is not what this measures).
    settle = time.perf_counter()
    for _ in range(600):  # polling a statistic: nothing to wait on
        if not host.scheduler.statistics().repacks_pending:
            break
        await asyncio.sleep(0.5)
    settle_s = time.perf_counter() - settle
    batched = host.scheduler.statistics().batched
    await asyncio.sleep(1.0)

    async def total_bursts() -> tuple[int, float]:
        # Reading N counters takes a while: the sweep's midpoint is when it was taken.
        started = time.perf_counter()
        total = sum([(await host.command(ws, b, "stats", {}))["burst_count"] for ws, b in ids])
        return total, (started + time.perf_counter()) / 2

    before, at_before = await total_bursts()
    ticks0 = host.scheduler.statistics().ticks
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu1, wall1 = _cpu_s(), time.perf_counter()
    ticks1 = host.scheduler.statistics().ticks
    after, at_after = await total_bursts()
    rss_running = _rss_mib()
    sched = host.scheduler.statistics()

    started = time.perf_counter()
    await host.aclose()
    await system.aclose()
    passivate_s = time.perf_counter() - started

    system, host = await open_host()
    sample = ids[:: max(1, n // REACTIVATE_SAMPLE)]
    started = time.perf_counter()
    await asyncio.gather(*(host.command(ws, b, "stats", {}) for ws, b in sample))
    reactivate_s = (time.perf_counter() - started) / len(sample) * n
    await host.aclose()
    await system.aclose()
    await store.aclose()
    return {
        "n": n,
        "create_s": create_s,
        "start_s": start_s,
        "settle_s": settle_s,
        "batched": batched,
        "passivate_s": passivate_s,
        "reactivate_s": reactivate_s,
        "cpu_share": (cpu1 - cpu0) / (wall1 - wall0),
        # One frequency group: its ticks per second are every brain's bursts per second
        # (the counter sweep checks that each brain really got them).
        "achieved_hz": (ticks1 - ticks0) / (wall1 - wall0),
        "swept_hz": (after - before) / n / (at_after - at_before),
        "rss_mib": rss_running,
        "rss_start_mib": rss_start,
        "last_tick_s": sched.last_tick_s,
        "overruns": sched.overruns,
    }


def _phase_baseline(n: int, seconds: float, kind: str) -> dict[str, Any]:
    from brains.brain import Brain
    from brains.connectome import to_network_spec
    from brains.genome import load_template
    from brains.npu import BrainBatch

    rss_start = _rss_mib()
    genome = load_template("barebones")
    brains = [Brain.develop(genome, seed=k) for k in range(n)]
    batch = None
    if kind == "batch":
        batch = BrainBatch([to_network_spec(b.connectome) for b in brains],
                           seeds=list(range(n)))
        brains = []
    engines = [b.engine for b in brains]
    period = 1.0 / HZ
    cpu0, wall0 = _cpu_s(), time.perf_counter()
    deadline = wall0
    ticks = 0
    while time.perf_counter() - wall0 < seconds:
        if batch is not None:
            batch.step()
        else:
            for engine in engines:
                engine.step()
        ticks += 1
        deadline += period
        pause = deadline - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    cpu1, wall1 = _cpu_s(), time.perf_counter()
    return {
        "n": n,
        "cpu_share": (cpu1 - cpu0) / (wall1 - wall0),
        "achieved_hz": ticks / (wall1 - wall0),
        "rss_mib": _rss_mib(),
        "rss_start_mib": rss_start,
    }


def _run_phase(phase: str, n: int, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--n", str(n), "--seconds", str(seconds)],
        check=True, capture_output=True, text=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def bench_many(n: int, seconds: float) -> None:
    host = _run_phase("host", n, seconds)
    loop = _run_phase("loop", n, seconds)
    batch = _run_phase("batch", n, seconds)
    print(f"\n(a) {n:,} barebones brains at {HZ:g} Hz, measured over {seconds:g} s")
    print(f"{'':34}{'host':>12}{'plain loop':>12}{'BrainBatch':>12}")
    print(f"{'CPU, share of one core':34}{host['cpu_share']:>11.1%} {loop['cpu_share']:>11.1%} "
          f"{batch['cpu_share']:>11.1%}")
    print(f"{'achieved bursts/s per brain':34}{host['achieved_hz']:>12.2f}"
          f"{loop['achieved_hz']:>12.2f}{batch['achieved_hz']:>12.2f}")
    print(f"{'RSS, MiB (process)':34}{host['rss_mib']:>12.0f}{loop['rss_mib']:>12.0f}"
          f"{batch['rss_mib']:>12.0f}")
    per = [(r["rss_mib"] - r["rss_start_mib"]) * 1024 / n for r in (host, loop, batch)]
    print(f"{'RSS per brain, KiB':34}{per[0]:>12.1f}{per[1]:>12.1f}{per[2]:>12.1f}")
    print(f"host CPU / plain loop: {host['cpu_share'] / loop['cpu_share']:.2f}x; "
          f"host RSS per brain / plain loop: {per[0] / per[1]:.2f}x")
    print(f"create (develop + store + activate): {host['create_s']:.1f} s "
          f"({host['create_s'] / n * 1e3:.2f} ms/brain); start all: {host['start_s']:.2f} s; "
          f"all packed in batches {host['settle_s']:.1f} s later ({host['batched']:,} batched)")
    print(f"passivate all (snapshot + store): {host['passivate_s']:.1f} s; "
          f"reactivate from snapshots: {host['reactivate_s'] / n * 1e3:.2f} ms/brain "
          f"(timed on up to {REACTIVATE_SAMPLE:,} brains)")
    print(f"burst counters swept before/after: {host['swept_hz']:.2f} bursts/s per brain")
    print(f"last tick (one worker call for all {n:,}): {host['last_tick_s'] * 1e3:.1f} ms; "
          f"schedule overruns: {host['overruns']}")


# ----------------------------------------------------------------------- (c) REST


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _login(client: httpx.AsyncClient, outbox: Path) -> str:
    email = "bench@example.org"
    sent = await client.post("/v1/auth/code", json={"email": email})
    assert sent.status_code == 202, sent.text
    code = None
    for _ in range(100):
        mails = await asyncio.to_thread(lambda: sorted(outbox.glob("*.eml")))
        if mails:
            text = await asyncio.to_thread(mails[-1].read_bytes)
            found = re.search(rb"login code: (\d{6})", text)
            if found:
                code = found.group(1).decode()
                break
        await asyncio.sleep(0.05)
    assert code is not None, "no login code in the outbox"
    verified = await client.post("/v1/auth/verify", json={"email": email, "code": code})
    assert verified.status_code == 200, verified.text
    token: str = verified.json()["access_token"]
    return token


class _RawConnection:
    """One HTTP/1.1 keep-alive connection speaking just enough HTTP for GET requests.

    The load generator must not be the bottleneck: httpx costs ~2 ms of client CPU per request
    on this machine, more than the server spends, so 500 req/s open loop is driven through
    these; httpx is measured separately (closed loop) below.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> _RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    async def get(self, path: str, headers: dict[str, str]) -> int:
        lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


async def _open_loop(
    port: int, path: str, headers: dict[str, str], rate: float, seconds: float
) -> list[float]:
    """Requests due at a fixed rate; latency counts from when each was due (so a slow answer
    that delays later requests shows in their latency too: no coordinated omission)."""
    connections = [await _RawConnection.open(port) for _ in range(16)]
    total = int(rate * seconds)
    start = time.perf_counter() + 0.05
    due = iter(range(total))
    latencies: list[float] = []
    failures = 0

    async def worker(conn: _RawConnection) -> None:
        nonlocal failures
        for k in due:
            at = start + k / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            status = await conn.get(path, headers)
            latencies.append(time.perf_counter() - at)
            failures += status != 200

    await asyncio.gather(*(worker(c) for c in connections))
    for conn in connections:
        conn.close()
    assert failures == 0, f"{failures} requests to {path} failed"
    return latencies


async def _closed_loop(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], count: int
) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        answer = await client.get(path, headers=headers)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text
    return latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def _feagi_reference() -> ModuleType:
    """``bench/feagi_reference.py``, loaded by path: this folder is off ``sys.path`` (above)."""
    spec = importlib.util.spec_from_file_location("feagi_reference", _HERE / "feagi_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _feagi_engine_stats(rate: float, seconds: float) -> tuple[list[float] | None, str]:
    """FEAGI's ``GET /v1/burst_engine/stats`` (open loop), or None and why it was skipped."""
    reference = _feagi_reference()
    if not await asyncio.to_thread(reference.feagi_available):
        return None, f"FEAGI engine rows skipped: {reference.SCRIPT} is missing or its setup failed"
    if not FEAGI_GENOME.exists():
        return None, f"FEAGI engine rows skipped: no genome at {FEAGI_GENOME}"
    genome = json.loads(FEAGI_GENOME.read_text())
    try:
        with reference.run_feagi(genome, port=FEAGI_PORT, burst_hz=HZ) as engine:
            before = await asyncio.to_thread(engine.get, "/v1/burst_engine/stats")
            await _open_loop(FEAGI_PORT, "/v1/burst_engine/stats", {}, rate, 1.0)  # warm-up
            latencies = await _open_loop(FEAGI_PORT, "/v1/burst_engine/stats", {}, rate, seconds)
            after = await asyncio.to_thread(engine.get, "/v1/burst_engine/stats")
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"FEAGI engine rows skipped: the engine did not run ({exc})"
    bursts = int(after["burst_count"]) - int(before["burst_count"])
    return latencies, (
        f"FEAGI engine: essential genome (core 2.1), {bursts} bursts during the run "
        f"(target {HZ:g} Hz), stats answered {after}"
    )


async def bench_rest(seconds: float, rate: float = 500.0) -> None:
    data = Path(tempfile.mkdtemp(prefix="bench-rest-"))
    port = _free_port()
    env = {
        **os.environ,
        "BRAINHOST_DATA_DIR": str(data),
        "BRAINHOST_PORT": str(port),
        "BRAINHOST_LOG_LEVEL": "warning",
        "BRAINHOST_LOG_FORMAT": "json",
        "BRAINHOST_BRAIN_DEFAULT_HZ": f"{HZ:g}",
    }
    server = subprocess.Popen(  # noqa: ASYNC220 - started once, before any measurement
        [str(Path(sys.executable).parent / "brainhost"), "serve"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10.0) as client:
            for _ in range(200):
                try:
                    if (await client.get("/v1/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
            token = await _login(client, data / "outbox")
            headers = {"Authorization": f"Bearer {token}"}
            ws = (await client.post("/v1/workspaces", json={"name": "B", "slug": "bench"},
                                    headers=headers)).json()["id"]
            brain = (await client.post(
                f"/v1/workspaces/{ws}/brains",
                json={"name": "b", "template": "barebones", "autostart": True},
                headers=headers,
            )).json()["id"]
            stats_url = f"/v1/workspaces/{ws}/brains/{brain}/stats"
            issued = await client.post(
                f"/v1/workspaces/{ws}/brains/{brain}/feagi_keys", headers=headers
            )
            assert issued.status_code == 201, issued.text
            feagi_url = f"/feagi/{issued.json()['key']}/v1/burst_engine/stats"
            await _open_loop(port, stats_url, headers, rate, 1.0)  # warm-up
            await _open_loop(port, feagi_url, {}, rate, 1.0)
            await _open_loop(port, "/v1/health", {}, rate, 1.0)
            health = await _open_loop(port, "/v1/health", {}, rate, seconds)
            stats = await _open_loop(port, stats_url, headers, rate, seconds)
            feagi_path = await _open_loop(port, feagi_url, {}, rate, seconds)
            httpx_health = await _closed_loop(client, "/v1/health", {}, 500)
            httpx_stats = await _closed_loop(client, stats_url, headers, 500)
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine, engine_note = await _feagi_engine_stats(rate, seconds)
    print(f"\n(c) REST against uvicorn on loopback: open loop at {rate:g} req/s for {seconds:g} s "
          "(16 keep-alive connections), then httpx closed loop (500 sequential requests); "
          f"brainhost's brain: barebones bursting at {HZ:g} Hz")
    print(f"{'':48}{'p50 ms':>10}{'p99 ms':>10}{'requests':>10}")
    rows: list[tuple[str, list[float]]] = [
        ("GET /v1/health (baseline), 500/s", health),
        ("GET .../stats, 500/s", stats),
        ("GET /feagi/{key}/v1/burst_engine/stats, 500/s", feagi_path),
    ]
    if engine is not None:
        rows.append(("FEAGI engine GET /v1/burst_engine/stats, 500/s", engine))
    rows += [
        ("GET /v1/health, httpx sequential", httpx_health),
        ("GET .../stats, httpx sequential", httpx_stats),
    ]
    for name, values in rows:
        print(f"{name:48}{_pct(values, 0.5):>10.2f}{_pct(values, 0.99):>10.2f}{len(values):>10}")
    print(engine_note)
    compared = [("stats", stats), ("feagi path", feagi_path)]
    if engine is not None:
        compared.append(("FEAGI engine", engine))
    for name, values in compared:
        print(f"{name} / health: p50 {_pct(values, 0.5) / _pct(health, 0.5):.2f}x, "
              f"p99 {_pct(values, 0.99) / _pct(health, 0.99):.2f}x "
              f"(mean {statistics.fmean(values) * 1e3:.2f} ms)")
    if engine is not None:
        for name, values in (("stats", stats), ("feagi path", feagi_path)):
            print(f"{name} / FEAGI engine stats: p50 {_pct(values, 0.5) / _pct(engine, 0.5):.2f}x, "
                  f"p99 {_pct(values, 0.99) / _pct(engine, 0.99):.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 brains, short windows")
    parser.add_argument("--rest-only", action="store_true", help="only (c)")
    parser.add_argument("--phase", choices=("host", "loop", "batch"), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "host":
        print(json.dumps(asyncio.run(_phase_host(args.n, args.seconds))))
        return
    if args.phase in ("loop", "batch"):
        print(json.dumps(_phase_baseline(args.n, args.seconds, args.phase)))
        return
    n, window = (1_000, 3.0) if args.quick else (10_000, 10.0)
    if not args.rest_only:
        bench_many(n, window)
    # The load generator runs on uvloop too: on this 2-core machine a slow client's own
    # scheduling delay would otherwise show up as server latency.
    uvloop.run(bench_rest(3.0 if args.quick else 10.0))


if __name__ == "__main__":
    main()
