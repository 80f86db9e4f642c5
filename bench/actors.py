"""Benchmark of the actor runtime against bare-asyncio baselines measured in the same run.

Run: ``.venv/bin/python bench/actors.py`` (``--quick`` for a smoke run). Prints one table;
each figure sits next to its baseline and the ratio (ours / baseline for rates, baseline /
ours for times and memory, so > 1 always means we are better). Throughput figures are the
best of ``--repeat`` runs because the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psutil

# This script is itself named actors.py: drop its folder from the import path so that
# ``import actors`` finds the package, not this file.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from actors import (
    Actor,
    ActorSystem,
    ChildSpec,
    EventHub,
    Registry,
    SupervisorSpec,
)


class _Timer:
    """Which time the figures use: process CPU time (default) or wall time.

    The machine is shared, so wall time mostly measures the neighbours. The code under test is
    single-threaded and never waits on I/O, so its CPU time is what wall time would be on an
    idle machine; ``--clock wall`` gives the raw wall-clock figures.
    """

    def __init__(self) -> None:
        self.use_cpu = True

    def now(self) -> float:
        return time.process_time() if self.use_cpu else time.perf_counter()

    def ns(self) -> int:
        return time.process_time_ns() if self.use_cpu else time.perf_counter_ns()


_CLOCK = _Timer()


class Sink(Actor):
    """Counts tells, resolves a future it is sent (as the baseline consumer does), echoes asks."""

    def __init__(self) -> None:
        self.count = 0

    async def handle(self, message: Any) -> Any:
        if isinstance(message, asyncio.Future):
            message.set_result(self.count)
            return None
        self.count += 1
        return message


@dataclass
class Row:
    name: str
    ours: float
    baseline: float
    unit: str
    higher_is_better: bool
    target: str
    target_met: bool

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.ours / self.baseline
        return self.baseline / self.ours


async def best_of(repeat: int, run: Callable[[], Awaitable[float]], *, highest: bool) -> float:
    results = [await run() for _ in range(repeat)]
    return max(results) if highest else min(results)


# -- tell --------------------------------------------------------------------------------


async def tell_ours(actors: int, messages: int) -> float:
    async with ActorSystem("bench") as system:
        sup = await system.root.add_supervisor(SupervisorSpec("sinks"))
        refs = [await sup.add_child(ChildSpec(f"s{n}", Sink)) for n in range(actors)]
        start = _CLOCK.now()
        for n in range(messages):
            await refs[n % actors].tell(n)
        loop = asyncio.get_running_loop()
        done = [loop.create_future() for _ in refs]
        for ref, future in zip(refs, done, strict=True):
            await ref.tell(future)
        await asyncio.gather(*done)
        elapsed = _CLOCK.now() - start
    return messages / elapsed


async def tell_baseline(actors: int, messages: int) -> float:
    loop = asyncio.get_running_loop()

    async def consumer(queue: asyncio.Queue[Any]) -> None:
        count = 0
        while True:
            item = await queue.get()
            if isinstance(item, asyncio.Future):
                item.set_result(count)
            else:
                count += 1

    queues: list[asyncio.Queue[Any]] = [asyncio.Queue(1000) for _ in range(actors)]
    tasks = [loop.create_task(consumer(queue)) for queue in queues]
    start = _CLOCK.now()
    for n in range(messages):
        await queues[n % actors].put(n)
    done = [loop.create_future() for _ in queues]
    for queue, future in zip(queues, done, strict=True):
        await queue.put(future)
    await asyncio.gather(*done)
    elapsed = _CLOCK.now() - start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return messages / elapsed


# -- ask ---------------------------------------------------------------------------------


async def ask_ours(count: int) -> list[float]:
    async with ActorSystem("bench") as system:
        ref = await system.spawn("echo", Sink)
        for n in range(200):
            await ref.ask(n)
        samples = []
        clock = _CLOCK.ns
        for n in range(count):
            start = clock()
            await ref.ask(n)
            samples.append((clock() - start) / 1000)
    return samples


async def ask_baseline(count: int) -> list[float]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, asyncio.Future[int]]] = asyncio.Queue(1000)

    async def server() -> None:
        while True:
            message, reply = await queue.get()
            reply.set_result(message)

    task = loop.create_task(server())
    samples = []
    clock = _CLOCK.ns
    for n in range(count + 200):
        start = clock()
        reply: asyncio.Future[int] = loop.create_future()
        queue.put_nowait((n, reply))
        await reply
        if n >= 200:
            samples.append((clock() - start) / 1000)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return samples


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# -- memory (each in a fresh interpreter so freed memory is not reused) --------------------


async def rss_ours(count: int) -> float:
    async with ActorSystem("bench") as system:
        sup = await system.root.add_supervisor(SupervisorSpec("idle"))
        gc.collect()
        before = psutil.Process().memory_info().rss
        for n in range(count):
            await sup.add_child(ChildSpec(f"a{n}", Sink))
        await asyncio.sleep(0.05)
        gc.collect()
        after = psutil.Process().memory_info().rss
    return float(after - before) / count


async def rss_baseline(count: int) -> float:
    loop = asyncio.get_running_loop()

    async def consumer(queue: asyncio.Queue[Any]) -> None:
        while True:
            await queue.get()

    gc.collect()
    before = psutil.Process().memory_info().rss
    kept = []
    for _ in range(count):
        queue: asyncio.Queue[Any] = asyncio.Queue(1000)
        kept.append((queue, loop.create_task(consumer(queue))))
    await asyncio.sleep(0.05)
    gc.collect()
    after = psutil.Process().memory_info().rss
    for _, task in kept:
        task.cancel()
    return float(after - before) / count


def rss_in_subprocess(which: str, count: int) -> float:
    output = subprocess.run(
        [sys.executable, __file__, f"--rss-child={which}", f"--actors={count}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(output.strip().splitlines()[-1])


# -- virtual actor activation ------------------------------------------------------------


async def activate_ours(count: int) -> float:
    registry = Registry(max_active=count)

    async def activate(key: str) -> Actor:
        return Sink()

    registry.register("sink", activate)
    start = _CLOCK.now()
    for n in range(count):
        await registry.get("sink", str(n))
    elapsed = _CLOCK.now() - start
    await registry.aclose()
    return elapsed


async def activate_baseline(count: int) -> float:
    loop = asyncio.get_running_loop()

    async def consumer(queue: asyncio.Queue[Any]) -> None:
        while True:
            await queue.get()

    async def factory(key: str) -> Sink:
        return Sink()

    table: dict[str, tuple[Sink, asyncio.Queue[Any], asyncio.Task[None]]] = {}
    start = _CLOCK.now()
    for n in range(count):
        key = str(n)
        if key not in table:
            queue: asyncio.Queue[Any] = asyncio.Queue(1000)
            table[key] = (await factory(key), queue, loop.create_task(consumer(queue)))
    elapsed = _CLOCK.now() - start
    for _, _, task in table.values():
        task.cancel()
    await asyncio.gather(*(task for _, _, task in table.values()), return_exceptions=True)
    return elapsed


# -- fan-out -----------------------------------------------------------------------------

EVENT = {"type": "burst", "brain": "b-1", "burst": 1234, "fired": [1, 5, 9, 12], "t": 0.25}


async def fanout_ours(subscribers: int, events: int, *, consume: bool) -> float:
    hub = EventHub(queue_size=events + 1)
    subs = [hub.subscribe("workspace:1/brain:1") for _ in range(subscribers)]
    received = [0] * subscribers
    total = subscribers * events

    async def reader(index: int) -> None:
        sub = subs[index]
        while received[index] < events:
            received[index] += len(await sub.receive_many(1024))

    tasks = [asyncio.create_task(reader(n)) for n in range(subscribers)] if consume else []
    await asyncio.sleep(0)
    start = _CLOCK.now()
    for _ in range(events):
        hub.publish("workspace:1/brain:1", EVENT)
    if consume:
        await asyncio.gather(*tasks)
    elapsed = _CLOCK.now() - start
    if not consume:
        assert hub.statistics().delivered_total == total
    return total / elapsed


async def fanout_baseline(subscribers: int, events: int, *, consume: bool) -> float:
    queues: list[asyncio.Queue[str]] = [asyncio.Queue(events + 1) for _ in range(subscribers)]
    received = [0] * subscribers
    total = subscribers * events

    async def reader(index: int) -> None:
        queue = queues[index]
        while received[index] < events:
            await queue.get()
            received[index] += 1
            while not queue.empty():
                queue.get_nowait()
                received[index] += 1

    tasks = [asyncio.create_task(reader(n)) for n in range(subscribers)] if consume else []
    await asyncio.sleep(0)
    start = _CLOCK.now()
    for _ in range(events):
        for queue in queues:
            queue.put_nowait(json.dumps(EVENT))
    if consume:
        await asyncio.gather(*tasks)
    elapsed = _CLOCK.now() - start
    return total / elapsed


# -- main --------------------------------------------------------------------------------


async def run(quick: bool, repeat: int) -> list[Row]:
    tells = 50_000 if quick else 300_000
    asks = 2_000 if quick else 20_000
    idle = 2_000 if quick else 10_000
    activations = 2_000 if quick else 10_000
    events = 20 if quick else 200
    rows: list[Row] = []

    for actors in (1, 1000):
        ours = await best_of(repeat, partial(tell_ours, actors, tells), highest=True)
        base = await best_of(repeat, partial(tell_baseline, actors, tells), highest=True)
        rows.append(
            Row(
                f"tell throughput, {actors:,} actor(s)",
                ours,
                base,
                "msg/s",
                True,
                ">= 500k/s",
                ours >= 500_000,
            )
        )

    # Interleaved runs; for each percentile the best run counts, as for throughput.
    ours_runs, base_runs = [], []
    for _ in range(repeat):
        ours_runs.append(await ask_ours(asks))
        base_runs.append(await ask_baseline(asks))
    for label, fraction, target in (("p50", 0.5, 25.0), ("p99", 0.99, None)):
        ours = min(percentile(samples, fraction) for samples in ours_runs)
        base = min(percentile(samples, fraction) for samples in base_runs)
        rows.append(
            Row(
                f"ask round trip {label}",
                ours,
                base,
                "us",
                False,
                f"<= {target:g} us" if target else "-",
                target is None or ours <= target,
            )
        )

    ours = min(rss_in_subprocess("ours", idle) for _ in range(repeat))
    base = min(rss_in_subprocess("baseline", idle) for _ in range(repeat))
    rows.append(
        Row(
            f"RSS per idle actor (N={idle:,})",
            ours / 1024,
            base / 1024,
            "KiB",
            False,
            "<= 6 KB",
            ours <= 6000,
        )
    )

    ours = await best_of(repeat, partial(activate_ours, activations), highest=False)
    base = await best_of(repeat, partial(activate_baseline, activations), highest=False)
    rows.append(
        Row(
            f"activate {activations:,} virtual actors",
            ours * 1000,
            base * 1000,
            "ms",
            False,
            "<= 1000 ms",
            ours <= 1.0,
        )
    )

    for consume, label in ((False, "publish side"), (True, "incl. 1,000 reader tasks")):
        ours = await best_of(
            repeat, partial(fanout_ours, 1000, events, consume=consume), highest=True
        )
        base = await best_of(
            repeat, partial(fanout_baseline, 1000, events, consume=consume), highest=True
        )
        rows.append(
            Row(
                f"fan-out to 1,000 subs ({label})",
                ours,
                base,
                "deliveries/s",
                True,
                ">= 1M/s",
                ours >= 1_000_000,
            )
        )
    return rows


def human(value: float, unit: str) -> str:
    if unit in ("msg/s", "deliveries/s"):
        return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.0f}k"
    return f"{value:.1f}"


def print_table(rows: list[Row]) -> None:
    header = ("benchmark", "brainhost", "baseline", "ratio", "unit", "target", "met")
    lines = [header]
    for row in rows:
        lines.append(
            (
                row.name,
                human(row.ours, row.unit),
                human(row.baseline, row.unit),
                f"{row.ratio:.2f}x",
                row.unit,
                row.target,
                "yes" if row.target_met else "NO",
            )
        )
    widths = [max(len(line[col]) for line in lines) for col in range(len(header))]
    for index, line in enumerate(lines):
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print(
        "\nratio > 1 means brainhost is better (rate / baseline rate, or baseline time or "
        "memory / ours).\nBaselines: bare asyncio.Queue + task (tell, ask, memory, "
        "activation); per-subscriber json.dumps + Queue (fan-out)."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one run each")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (best kept)")
    parser.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="time source: process CPU time (default; robust on a shared machine) or wall",
    )
    parser.add_argument("--rss-child", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--actors", type=int, default=10_000, help=argparse.SUPPRESS)
    args = parser.parse_args()
    import structlog

    structlog.configure(logger_factory=structlog.ReturnLoggerFactory())  # keep output clean
    if args.rss_child:
        measure = rss_ours if args.rss_child == "ours" else rss_baseline
        print(asyncio.run(measure(args.actors)))
        return
    _CLOCK.use_cpu = args.clock == "cpu"
    repeat = 1 if args.quick else args.repeat
    started = time.perf_counter()
    rows = asyncio.run(run(args.quick, repeat))
    print(
        f"actor runtime benchmark ({'quick' if args.quick else 'full'}, best of {repeat}, "
        f"{args.clock} time, {psutil.cpu_count()} CPUs, Python {sys.version.split()[0]})\n"
    )
    print_table(rows)
    print(f"\ntook {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
