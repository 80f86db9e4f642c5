"""Burst engine benchmark: every figure next to a baseline measured in the same run.

    .venv/bin/python bench/burst_engine.py [--quick]

Sections (add more by appending to SECTIONS; each returns table rows):
  (a) CUBA-style LIF network, N = 4k / 20k / 100k, 80 synapses per neuron, 80/20 exc/inh,
      driven by a power neuron; one burst = 1 ms of model time. The engine against a plain
      numpy implementation of the same rules, network and number of bursts.
  (b) real genomes: the feagi-core essential genome (stimulated once) and a recurrent
      high-activity genome (bench/recurrent_genome.py, every neuron fires every burst):
      bursts/s and synaptic events/s, against the FEAGI engine on the same genome in the same
      run when ../shared/tools/feagi-reference/run_feagi.sh is available. Both sides in wall
      time here (the FEAGI engine is a separate process).
  (c) development time per genome (median of runs), against the FEAGI engine's logged
      neuroembryogenesis time for the same genome when available, else against parsing it.
  (d) memory: bytes per neuron and per synapse, against the NetworkSpec input (COO) and the
      numpy implementation's state.
  (e) 10,000 barebones-sized brains at 10 Hz in one BrainBatch: CPU share of one core (per-tick
      CPU x 10 Hz, and measured under a real BurstLoop), against stepping the brains one engine
      at a time.
Rates are per core: CPU seconds of the measuring thread (time.thread_time), so other processes
on a shared machine inflate neither side; the kernels and numpy here are single-threaded.
Brian2 (cython, cpp_standalone) rows run when an interpreter can import brian2 (this one, or
BRAINHOST_BRIAN2_PYTHON; see bench/brian2_cuba.py).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/actors.py would shadow the ``actors`` package: look in this folder last.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [e for e in sys.path if Path(e or ".").resolve() != _HERE] + [str(_HERE)]

import anyio
import numpy as np
from feagi_reference import feagi_available, run_feagi
from numpy.typing import NDArray
from recurrent_genome import AREA_ID, recurrent_genome

from brains.brain import Brain
from brains.connectome import develop
from brains.genome import load_genome
from brains.npu import (
    AreaTable,
    BrainBatch,
    BurstEngine,
    BurstLoop,
    BurstLoopStatistics,
    NetworkSpec,
    PlasticityGroupTable,
)
from brains.reports import run_report


@dataclass
class Row:
    section: str
    case: str
    metric: str
    value: float
    baseline_name: str
    baseline: float | None
    note: str = ""

    @property
    def ratio(self) -> str:
        if self.baseline is None or self.baseline == 0:
            return "-"
        return f"{self.value / self.baseline:.2f}x"


def _fmt(x: float | None) -> str:
    if x is None:
        return "not run"
    if abs(x) >= 1e6:
        return f"{x / 1e6:,.1f} M"
    if abs(x) >= 1e3:
        return f"{x / 1e3:,.1f} k"
    return f"{x:,.3g}"


# --- network construction ------------------------------------------------------------------


def _areas(rows: list[dict[str, object]]) -> AreaTable:
    def col(name: str, default: object, dtype: type) -> NDArray[np.generic]:
        return np.array([r.get(name, default) for r in rows], dtype)

    a = len(rows)
    return AreaTable(
        cortical_id=tuple(str(r["id"]) for r in rows),
        dimensions=np.array([r["dims"] for r in rows], np.int32).reshape(a, 3),
        neurons_per_voxel=col("npv", 1, np.int32),
        firing_threshold=col("threshold", 1.0, np.float32),
        threshold_increment=np.zeros((a, 3), np.float32),
        threshold_limit=col("threshold_limit", 0.0, np.float32),
        leak_coefficient=col("leak", 0.0, np.float32),
        leak_variability=col("leak_variability", 0.0, np.float32),
        refractory_period=col("refractory", 0, np.uint16),
        consecutive_fire_limit=col("fire_limit", 0, np.uint16),
        snooze_length=col("snooze", 0, np.uint16),
        mp_charge_accumulation=col("accumulate", False, bool),
        mp_driven_psp=col("mp_driven", False, bool),
        psp_uniform_distribution=col("uniform", True, bool),
        excitability=col("excitability", 1.0, np.float32),
        degeneration=col("degeneration", 0.0, np.float32),
        postsynaptic_current_max=col("psc_max", 99999.0, np.float32),
        is_power=col("power", False, bool),
        is_sensory=col("sensory", False, bool),
        is_motor=col("motor", False, bool),
        is_memory=col("memory", False, bool),
    )


def _groups(pairs: list[tuple[int, int]]) -> PlasticityGroupTable:
    g = len(pairs)
    return PlasticityGroupTable(
        source_area=np.array([p[0] for p in pairs], np.uint32),
        destination_area=np.array([p[1] for p in pairs], np.uint32),
        plastic=np.zeros(g, bool),
        plasticity_constant=np.zeros(g, np.float32),
        ltp_multiplier=np.ones(g, np.float32),
        ltd_multiplier=np.ones(g, np.float32),
        plasticity_window=np.ones(g, np.uint16),
    )


def _grid(count: int) -> tuple[tuple[int, int, int], NDArray[np.uint16]]:
    """An area shape holding exactly ``count`` neurons (x * y = count, y <= 65535)."""
    y = 1
    for d in range(min(count, 1000), 0, -1):
        if count % d == 0:
            y = d
            break
    x = count // y
    xs, ys = np.divmod(np.arange(count), y)
    return (x, y, 1), np.stack([xs, ys, np.zeros(count, np.int64)], 1).astype(np.uint16)


# CUBA in burst terms (one burst = 1 ms): threshold 1, 1% leak per burst, a power neuron
# delivers 0.016 to every neuron each burst (alone it would drive each neuron to fire every
# ~100 bursts), refractory 2 bursts; 80 random targets per neuron, excitatory +0.01 (80% of
# neurons), inhibitory -0.04 (20%): a balanced network firing at ~10 Hz.
CUBA = {"leak": 0.01, "drive": 0.016, "refractory": 2, "w_exc": 0.01, "w_inh": -0.04, "k": 80}


def cuba_spec(n: int, seed: int = 0, params: dict[str, float] | None = None) -> NetworkSpec:
    p = {**CUBA, **(params or {})}
    rng = np.random.default_rng(seed)
    n_exc = n * 4 // 5
    n_inh = n - n_exc
    common = {
        "leak": p["leak"],
        "refractory": int(p["refractory"]),
        "accumulate": bool(p.get("accumulate", 1)),
    }
    dims_e, xyz_e = _grid(n_exc)
    dims_i, xyz_i = _grid(n_inh)
    areas = _areas(
        [
            {"id": "_power", "dims": (1, 1, 1), "power": True},
            {"id": "exc___", "dims": dims_e, **common},
            {"id": "inh___", "dims": dims_i, **common},
        ]
    )
    k = int(p["k"])
    ids = np.arange(1, n + 1, dtype=np.int64)
    driven = p["drive"] != 0
    power_source = np.zeros(n if driven else 0, np.int64)
    source = np.concatenate([power_source, np.repeat(ids, k)])
    target = np.concatenate([ids[: power_source.shape[0]], rng.integers(1, n + 1, n * k)])
    weight = np.concatenate(
        [
            np.full(power_source.shape[0], p["drive"]),
            np.full(n_exc * k, p["w_exc"]),
            np.full(n_inh * k, p["w_inh"]),
        ]
    )
    m = power_source.shape[0]
    target_area = np.where(target[m:] <= n_exc, 0, 1)
    source_area = np.where(source[m:] <= n_exc, 0, 1)
    group = np.concatenate(
        [np.where(ids[:m] <= n_exc, 0, 1), 2 + 2 * source_area + target_area]
    ).astype(np.uint16)
    return NetworkSpec(
        areas=areas,
        neuron_area=np.concatenate([[0], np.where(ids <= n_exc, 1, 2)]).astype(np.uint32),
        neuron_xyz=np.concatenate([np.zeros((1, 3), np.uint16), xyz_e, xyz_i]),
        synapse_source=source.astype(np.uint32),
        synapse_target=target.astype(np.uint32),
        synapse_weight=weight.astype(np.float32),
        synapse_psp=np.ones(source.shape[0], np.float32),
        synapse_group=group,
        groups=_groups([(0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2)]),
    )


def cuba_initial_mp(n: int, seed: int = 0) -> NDArray[np.float32]:
    return np.random.default_rng(seed + 1).uniform(0, 1, n).astype(np.float32)


class NumpyNetwork:
    """The same burst rules for these networks (power drive, leak, refractory, threshold 1,
    accumulating or not), vectorized with numpy: the baseline."""

    def __init__(
        self, spec: NetworkSpec, initial_mp: NDArray[np.float32], params: dict[str, float]
    ) -> None:
        n = spec.neuron_count - 1  # neuron 0 is the power neuron
        rec = spec.synapse_source > 0
        src = spec.synapse_source[rec].astype(np.int64) - 1
        order = np.argsort(src, kind="stable")
        self.indptr = np.concatenate([[0], np.cumsum(np.bincount(src, minlength=n))])
        self.target = (spec.synapse_target[rec].astype(np.int64) - 1)[order]
        self.value = (spec.synapse_weight[rec] * spec.synapse_psp[rec])[order].astype(np.float32)
        self.drive = np.float32(params["drive"])
        self.keep = np.float32(1) - np.float32(params["leak"])
        self.accumulate = bool(params.get("accumulate", 1))
        self.refractory = int(params["refractory"])
        self.mp = initial_mp.copy()
        self.countdown = np.zeros(n, np.uint16)
        self.fired = np.zeros(n, bool)
        self.burst = 0
        self.spikes = 0
        self.events = 0

    def state_bytes_per_neuron(self) -> float:
        arrays = (self.mp, self.countdown, self.fired, self.indptr)
        return sum(a.nbytes for a in arrays) / self.mp.shape[0]

    def step(self) -> None:
        self.burst += 1
        n = self.mp.shape[0]
        ticking = (self.countdown > 0) & ~self.fired
        self.countdown[ticking] -= 1
        fired_ids = np.flatnonzero(self.fired)
        potential = np.zeros(n, np.float32)
        received = np.zeros(n, bool)
        if fired_ids.size:
            lo = self.indptr[fired_ids]
            lengths = self.indptr[fired_ids + 1] - lo
            starts = np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
            idx = starts + np.arange(int(lengths.sum()))
            targets = self.target[idx]
            potential += np.bincount(targets, weights=self.value[idx], minlength=n).astype(
                np.float32
            )
            received[targets] = True
            self.events += idx.shape[0]
        if self.drive and self.burst >= 2:  # the power neuron fired last burst
            potential += self.drive
            received[:] = True
            self.events += n
        blocked = self.countdown > 0
        mp = self.mp + potential
        fire = received & ~blocked & (mp >= np.float32(1.0))
        if self.accumulate:
            rest = np.where(received & ~blocked, mp * self.keep, self.mp)
        else:
            rest = np.zeros(n, np.float32)
        self.mp = np.where(fire, np.float32(0), rest)
        self.countdown[fire] = self.refractory
        self.fired = fire
        self.spikes += int(fire.sum())


def _cpu(fn: Callable[[], object]) -> float:
    """CPU seconds of this thread (the kernels and numpy here are single-threaded): a
    per-core figure that other processes on a shared machine do not distort."""
    start = time.thread_time()
    fn()
    return time.thread_time() - start


# --- sections ------------------------------------------------------------------------------


def _network_rows(
    section: str,
    label: str,
    n: int,
    bursts: int,
    params: dict[str, float],
    stimulate_fraction: float,
    numpy_bursts: int,
) -> list[Row]:
    spec = cuba_spec(n, params=params)
    mp0 = cuba_initial_mp(n) if params.get("accumulate", 1) else np.zeros(n, np.float32)
    stimulated = np.arange(1, n + 1, int(1 / stimulate_fraction)) if stimulate_fraction else None

    def fresh() -> BurstEngine:
        engine = BurstEngine(spec, seed=0)
        engine.set_membrane_potential(np.arange(1, n + 1), mp0)
        if stimulated is not None:
            engine.stimulate_neurons(stimulated)
        return engine

    def fresh_baseline() -> NumpyNetwork:
        baseline = NumpyNetwork(spec, mp0, params)
        if stimulated is not None:  # the engine force-fires them in burst 1
            baseline.fired[stimulated - 1] = True
            baseline.countdown[stimulated - 1] = int(params["refractory"])
            baseline.burst = 1
        return baseline

    # Same rules: both must fire the same number of neurons, burst by burst.
    check_engine, check_numpy = fresh(), fresh_baseline()
    if stimulated is not None:
        check_engine.step()
    same = True
    for _ in range(30):
        before = check_numpy.spikes
        check_engine.step()
        check_numpy.step()
        same &= int(check_engine.fired_by_area()[1:].sum()) == check_numpy.spikes - before

    engine = fresh()
    if stimulated is not None:
        engine.step()
    seconds = _cpu(lambda: engine.step_n(bursts))
    baseline = fresh_baseline()
    np_seconds = _cpu(lambda: [baseline.step() for _ in range(numpy_bursts)])
    recurrent = int(engine.events_by_area()[1:].sum())
    rate = recurrent / int(params["k"]) / n / (bursts / 1000)
    np_rate = (
        (baseline.events - (n * numpy_bursts if params["drive"] else 0))
        / int(params["k"])
        / n
        / (numpy_bursts / 1000)
    )
    case = (
        f"{label} N={n:,}: {bursts} bursts, {rate:.1f} Hz (numpy {numpy_bursts} bursts, "
        f"{np_rate:.1f} Hz)"
    )
    return [
        Row(
            section,
            case,
            "neuron updates/s per core",
            n * bursts / seconds,
            "numpy",
            n * numpy_bursts / np_seconds,
            "spike counts identical to numpy for 30 bursts: " + ("yes" if same else "NO"),
        ),
        Row(
            section,
            case,
            "synaptic events/s per core",
            engine.synaptic_events / seconds,
            "numpy",
            baseline.events / np_seconds,
            f"recurrent share {recurrent / max(engine.synaptic_events, 1):.0%}",
        ),
        Row(
            section,
            case,
            "CPU seconds per 1000 bursts",
            seconds * 1000 / bursts,
            "numpy",
            np_seconds * 1000 / numpy_bursts,
        ),
    ]


def section_cuba(quick: bool) -> list[Row]:
    rows: list[Row] = []
    sizes = [4_000, 20_000] if quick else [4_000, 20_000, 100_000]
    for n in sizes:
        bursts = 300 if quick else 2000
        rows += _network_rows("a", "CUBA", n, bursts, CUBA, 0.0, max(50, bursts // 10))
    # The same network with propagation dominating: no drive, no accumulation, a recurrent
    # excitatory net kept at ~1/3 of neurons firing per burst by a 2-burst refractory period.
    busy = {**CUBA, "drive": 0.0, "accumulate": 0, "w_exc": 0.1, "w_inh": 0.1, "leak": 0.0}
    rows += _network_rows(
        "a", "high-activity", 4_000, 100 if quick else 500, busy, 0.1, 50 if quick else 100
    )
    rows += _brian2_rows(rows, sizes, 300 if quick else 2000)
    return rows


def _brian2_python() -> str | None:
    """An interpreter that can import brian2: BRAINHOST_BRIAN2_PYTHON, else this one.

    Brian2 2.9 (the last release for Python 3.11) needs numpy < 2, so it usually lives in a
    venv of its own: ``python3 -m venv B && B/bin/pip install 'numpy<2' brian2==2.9.0 cython``.
    """
    candidate = os.environ.get("BRAINHOST_BRIAN2_PYTHON", sys.executable)
    probe = subprocess.run(
        [candidate, "-c", "import brian2"], capture_output=True, timeout=120, check=False
    )
    return candidate if probe.returncode == 0 else None


def _brian2_rows(engine_rows: list[Row], sizes: list[int], steps: int) -> list[Row]:
    python = _brian2_python()
    if python is None:
        note = "not run: brian2 not importable (set BRAINHOST_BRIAN2_PYTHON)"
        metric = "wall s per 1000 steps"
        return [Row("a", "Brian2 CUBA", metric, float("nan"), "brian2", None, note)]
    script = str(Path(__file__).resolve().parent / "brian2_cuba.py")
    rows: list[Row] = []
    for n in sizes:
        ours = next(
            row.value
            for row in engine_rows
            if row.case.startswith(f"CUBA N={n:,}:")
            and row.metric == "CPU seconds per 1000 bursts"
        )
        for target in ("cython", "cpp_standalone"):
            run = subprocess.run(
                [python, script, "--n", str(n), "--steps", str(steps), "--target", target],
                capture_output=True, text=True, timeout=1800, check=True,
            )
            result = json.loads(run.stdout.strip().splitlines()[-1])
            theirs = float(result["seconds"]) / steps * 1000
            rows.append(
                Row(
                    "a", f"CUBA N={n:,} vs Brian2 {target} ({result['rate_hz']:.1f} Hz)",
                    "wall s per 1000 steps (ratio < 1: ours faster)", ours,
                    f"brian2 {target}", theirs,
                    f"Brian2's CUBA example, dt = 1 ms, {result['synapses']:,} synapses",
                )
            )
    return rows


def section_memory(quick: bool) -> list[Row]:
    n = 20_000 if quick else 100_000
    spec = cuba_spec(n)
    usage = BurstEngine(spec).memory_bytes()
    coo = sum(
        getattr(spec, f).nbytes / spec.synapse_count
        for f in (
            "synapse_source",
            "synapse_target",
            "synapse_weight",
            "synapse_psp",
            "synapse_group",
        )
    )
    numpy_state = NumpyNetwork(spec, cuba_initial_mp(n), CUBA).state_bytes_per_neuron()
    label = f"CUBA N={n:,}, {usage.synapses:,} synapses"
    return [
        Row(
            "d",
            label,
            "bytes per neuron",
            usage.bytes_per_neuron,
            "numpy CUBA state",
            numpy_state,
            "budget 48; engine state incl. CSR row pointer, fire queue, candidates",
        ),
        Row(
            "d",
            label,
            "bytes per synapse",
            usage.bytes_per_synapse,
            "NetworkSpec COO",
            coo,
            "budget 16",
        ),
        Row(
            "d",
            label,
            "table bytes (per-area, lookups)",
            float(usage.table_bytes),
            "total",
            float(usage.total_bytes),
        ),
    ]


def barebones_sized(seed: int) -> NetworkSpec:
    """The barebones core (power + 6 single-neuron core areas) plus a 2-voxel sensor, a
    4-neuron hidden area and a 2-voxel motor: 15 neurons, ~20 synapses."""
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = [
        {"id": "___pwr", "dims": (1, 1, 1), "power": True, "fire_limit": 3},
        *(
            {"id": cid, "dims": (1, 1, 1)}
            for cid in ("_death", "_fatig", "_pain_", "_pleas", "_fear_", "_hope_")
        ),
        {"id": "i_sens", "dims": (2, 1, 1), "sensory": True},
        {"id": "hidden", "dims": (4, 1, 1), "accumulate": True, "leak": 0.2, "threshold": 2.0},
        {"id": "o_motr", "dims": (2, 1, 1), "motor": True},
    ]
    sources, targets, groups = [], [], []
    for h in range(4):
        sources += [0, 7 + h % 2]
        targets += [9 + h, 9 + h]
        groups += [0, 1]
        for m in range(2):
            if rng.random() < 0.7:
                sources.append(9 + h)
                targets.append(13 + m)
                groups.append(2)
    s = len(sources)
    xyz = (
        [(0, 0, 0)] * 7
        + [(0, 0, 0), (1, 0, 0)]
        + [(i, 0, 0) for i in range(4)]
        + [(0, 0, 0), (1, 0, 0)]
    )
    return NetworkSpec(
        areas=_areas(rows),
        neuron_area=np.array([0, 1, 2, 3, 4, 5, 6, 7, 7, 8, 8, 8, 8, 9, 9], np.uint32),
        neuron_xyz=np.array(xyz, np.uint16),
        synapse_source=np.array(sources, np.uint32),
        synapse_target=np.array(targets, np.uint32),
        synapse_weight=np.ones(s, np.float32),
        synapse_psp=np.array([0.5 if g == 0 else 1.0 for g in groups], np.float32),
        synapse_group=np.array(groups, np.uint16),
        groups=_groups([(0, 8), (7, 8), (8, 9)]),
    )


def section_many_brains(quick: bool) -> list[Row]:
    brains = 2_000 if quick else 10_000
    ticks = 20 if quick else 50
    hz = 10.0
    specs = [barebones_sized(i) for i in range(brains)]
    batch = BrainBatch(specs, seeds=range(brains))
    rng = np.random.default_rng(0)
    batch.step()

    def tick() -> None:
        # every tick: sensor input into 10% of the brains, one burst of all, motor read-out
        chosen = rng.choice(brains, brains // 10, replace=False)
        batch.inject_sensory_many(
            chosen, np.full(chosen.shape[0], 7), np.zeros((chosen.shape[0], 3), np.int64), 1.0
        )
        batch.step()
        batch.motor_activity()

    seconds = _cpu(lambda: [tick() for _ in range(ticks)]) / ticks
    kernel_only = _cpu(lambda: [batch.step() for _ in range(ticks)]) / ticks
    share = seconds * hz
    # The same, for real: a BurstLoop at 10 Hz in an asyncio loop, input and read-out in
    # on_burst; process CPU time (all threads) over wall time.
    duration = 1.0 if quick else 3.0

    async def paced() -> tuple[float, BurstLoopStatistics]:
        async def on_burst(_: int) -> None:
            chosen = rng.choice(brains, brains // 10, replace=False)
            batch.inject_sensory_many(
                chosen, np.full(chosen.shape[0], 7), np.zeros((chosen.shape[0], 3), np.int64), 1.0
            )
            batch.motor_activity()

        loop = BurstLoop(batch, frequency_hz=hz, on_burst=on_burst)
        async with anyio.create_task_group() as tg:
            await tg.start(loop.run)
            cpu, wall = time.process_time(), time.perf_counter()
            await anyio.sleep(duration)
            used = (time.process_time() - cpu) / (time.perf_counter() - wall)
            loop.stop()
        return used, loop.statistics()

    measured, stats = anyio.run(paced)
    # Baseline: one BurstEngine per brain stepped one by one, measured on a sample of brains.
    sample = min(brains, 1_000)
    engines = [BurstEngine(spec, seed=i) for i, spec in enumerate(specs[:sample])]

    def tick_alone() -> None:
        for i in rng.choice(sample, sample // 10, replace=False):
            engines[i].inject_sensory(7, [[0, 0, 0]], [1.0])
        for e in engines:
            e.step()
            e.motor_output()

    alone = _cpu(lambda: [tick_alone() for _ in range(5)]) / 5 * (brains / sample)
    neurons = batch.neuron_count
    case = f"{brains:,} brains x 15 neurons ({neurons:,}) at {hz:g} Hz"
    return [
        Row(
            "e",
            case,
            "CPU share of one core (tick x 10 Hz)",
            share,
            "one engine per brain",
            alone * hz,
            f"{seconds * 1e3:.2f} ms per tick incl. 10% sensory input and motor read-out, "
            f"{kernel_only * 1e3:.2f} ms of it the burst kernel; baseline scaled from "
            f"{sample:,} brains",
        ),
        Row(
            "e",
            case,
            f"CPU share of one core, BurstLoop {duration:g} s",
            measured,
            "one engine per brain",
            alone * hz,
            f"process CPU / wall while paced; achieved {stats.achieved_hz:.2f} Hz, "
            f"jitter {stats.jitter_s * 1e3:.2f} ms",
        ),
    ]


SHARED_GENOMES = Path(__file__).resolve().parents[2] / "shared" / "genomes"
GENOME_FILES = {
    "barebones": "feagi_barebones_genome.json",
    "essential 2.0": "feagi_essential_genome.json",
    "core essential 2.1": "feagi_core_essential_genome_v2_1.json",
    "pioneer2": "community_webots_pioneer2_basic_genome.json",
    "salamander": "community_webots_salamander_avoidwalls_plasticity_genome.json",
}


def _genome_json(name: str) -> dict[str, Any]:
    if name == "recurrent":
        return recurrent_genome()
    loaded: dict[str, Any] = json.loads((SHARED_GENOMES / GENOME_FILES[name]).read_text())
    return loaded


def _run_ours(genome: dict[str, Any], stimulate: str, bursts: int) -> tuple[float, float]:
    """(bursts/s, synaptic events/s) in wall time, after one force-fire of ``stimulate``."""
    brain = Brain.develop(load_genome(genome))
    brain.step(20)  # warm the kernels and let the stimulus settle into a steady state
    report = run_report(brain, bursts, stimulate=[stimulate]).as_dict()
    return float(report["bursts_per_s"]), float(report["synaptic_events_per_s"])


def _run_feagi(genome: dict[str, Any], stimulate: str, seconds: float) -> tuple[float, float]:
    with run_feagi(genome, burst_hz=100_000.0) as engine:
        health = engine.get("/v1/system/health_check")
        area = load_genome(genome).areas[stimulate]
        dims = area.dimensions
        coords = [[x, y, z] for x in range(dims.x) for y in range(dims.y) for z in range(dims.z)]
        engine.post(
            "/v1/agent/manual_stimulation",
            {"stimulation_payload": {engine.cortical_id(area.name): coords}},
        )
        time.sleep(0.2)
        rate = engine.burst_rate(seconds)
        fired = engine.get("/v1/burst_engine/fire_queue")["total_fired"]
    # Every neuron of the recurrent area drives each of its synapses every burst.
    events_per_burst = health["synapse_count"] if fired >= 16_384 else 0
    return rate, rate * events_per_burst


def section_genomes(quick: bool) -> list[Row]:
    rows: list[Row] = []
    have_feagi = feagi_available()
    cases = [("core essential 2.1", "iic100", 20_000), ("recurrent", AREA_ID, 400)]
    for name, area, bursts in cases:
        if quick:
            bursts //= 10
        genome = _genome_json(name)
        ours_bps, ours_eps = _run_ours(genome, area, bursts)
        feagi_bps = feagi_eps = None
        if have_feagi:
            feagi_bps, feagi_eps = _run_feagi(genome, area, 2.0 if quick else 5.0)
        note = "" if have_feagi else "FEAGI engine not available"
        rows.append(Row("b", name, "bursts/s", ours_bps, "FEAGI engine", feagi_bps, note))
        if name == "recurrent":
            rows.append(
                Row("b", name, "synaptic events/s", ours_eps, "FEAGI engine", feagi_eps, note)
            )
    return rows


def section_development(quick: bool) -> list[Row]:
    rows: list[Row] = []
    have_feagi = feagi_available() and not quick
    repeats = 3 if quick else 15
    for name in [*GENOME_FILES, "recurrent"]:
        genome_json = _genome_json(name)
        genome = load_genome(genome_json)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            develop(genome)
            times.append(time.perf_counter() - started)
        ours = statistics.median(times)
        if have_feagi:
            with run_feagi(genome_json) as engine:
                baseline, label = engine.development_seconds(), "FEAGI engine (its log)"
        else:
            started = time.perf_counter()
            load_genome(json.dumps(genome_json))
            baseline, label = time.perf_counter() - started, "parse the genome"
        metric = "develop seconds (ratio < 1: ours faster)"
        rows.append(Row("c", name, metric, ours, label, baseline))
    return rows


SECTIONS: list[Callable[[bool], list[Row]]] = [
    section_cuba,
    section_genomes,
    section_development,
    section_memory,
    section_many_brains,
]


def print_table(rows: list[Row]) -> None:
    header = ("sec", "case", "metric", "brainhost", "baseline", "baseline value", "ratio", "note")
    table = [header] + [
        (
            r.section,
            r.case,
            r.metric,
            _fmt(r.value) if r.value == r.value else "not run",
            r.baseline_name,
            _fmt(r.baseline),
            r.ratio,
            r.note,
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(header))]
    for k, line in enumerate(table):
        print(" | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
        if k == 0:
            print("-+-".join("-" * w for w in widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer bursts")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for section in SECTIONS:
        rows.extend(section(args.quick))
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
