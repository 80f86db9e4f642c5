"""Brian2's CUBA network (its documentation's example) sized like bench/burst_engine.py's.

Run as a subprocess, one measurement per process (Brian2's devices are global state):

    python bench/brian2_cuba.py --n 4000 --steps 2000 --target cython|cpp_standalone

prints ``{"seconds", "steps", "n", "synapses", "rate_hz", "target"}``: wall seconds of the
simulation run alone (cython: after a warm-up run has compiled the code; cpp_standalone: the
binary's own measured run time, compilation excluded). dt = 1 ms so one step is one burst.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time


def measure(n: int, steps: int, target: str) -> dict[str, float | int | str]:
    import brian2 as b2

    b2.prefs.codegen.target = "cython" if target == "cython" else "numpy"
    if target == "cpp_standalone":
        b2.set_device("cpp_standalone", build_on_run=False)
    b2.defaultclock.dt = 1 * b2.ms
    b2.seed(0)
    taum, taue, taui = 20 * b2.ms, 5 * b2.ms, 10 * b2.ms
    vt, vr, el = -50 * b2.mV, -60 * b2.mV, -49 * b2.mV
    equations = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    namespace = {"taum": taum, "taue": taue, "taui": taui, "Vt": vt, "Vr": vr, "El": el}
    group = b2.NeuronGroup(
        n, equations, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms,
        method="exact", namespace=namespace,
    )
    group.v = "Vr + rand() * (Vt - Vr)"
    group.ge = group.gi = 0 * b2.mV
    excitatory = n * 4 // 5
    exc = b2.Synapses(group, group, on_pre="ge += 1.62*mV")
    inh = b2.Synapses(group, group, on_pre="gi += -9*mV")
    exc.connect(f"i<{excitatory}", p=80 / n)
    inh.connect(f"i>={excitatory}", p=80 / n)
    spikes = b2.SpikeMonitor(group, record=False)
    network = b2.Network(group, exc, inh, spikes)
    duration = steps * b2.ms
    if target == "cpp_standalone":
        network.run(duration)
        with tempfile.TemporaryDirectory(prefix="brian2-cuba-") as directory:
            b2.device.build(directory=directory, compile=True, run=True, debug=False)
            seconds = float(b2.device._last_run_time)
            count = int(spikes.num_spikes)
            synapses = len(exc) + len(inh)
    else:
        network.run(10 * b2.ms)  # compiles the generated code
        before = int(spikes.num_spikes)
        started = time.perf_counter()
        network.run(duration)
        seconds = time.perf_counter() - started
        count = int(spikes.num_spikes) - before
        synapses = len(exc) + len(inh)
    return {
        "seconds": seconds,
        "steps": steps,
        "n": n,
        "synapses": synapses,
        "rate_hz": count / n / (steps / 1000),
        "target": target,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, required=True)
    parser.add_argument("--steps", type=int, required=True)
    parser.add_argument("--target", choices=("cython", "cpp_standalone"), required=True)
    args = parser.parse_args()
    print(json.dumps(measure(args.n, args.steps, args.target)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
