"""A slow, plain-Python burst engine implementing the same rules as ``brains.npu``.

Written from the rule list in ``brains/npu/engine.py``, one neuron and one synapse at a time,
with dicts and lists, in float32 arithmetic so results can be compared bit for bit. The
candidate order is part of the rules (it fixes float summation order): staged input in
staging order, then power neurons by id, then propagation targets in order of first arrival.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from brains.npu.network import NetworkSpec

F = np.float32
_MASK = 2**64 - 1


def unit_hash(seed: int, neuron: int, burst: int) -> np.float32:
    z = seed ^ ((neuron * 0x9E3779B97F4A7C15) & _MASK) ^ ((burst * 0xC2B2AE3D27D4EB4F) & _MASK)
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    z = z ^ (z >> 31)
    return F(z >> 40) / F(2**24)


@dataclass
class Synapse:
    target: int
    weight: np.float32
    psp: np.float32
    group: int


class ReferenceBrain:
    def __init__(self, spec: NetworkSpec, seed: int = 0) -> None:
        self.seed = seed
        ar = spec.areas
        self.a = ar
        self.n = spec.neuron_count
        self.area = [int(x) for x in spec.neuron_area]
        self.threshold = []
        for i in range(self.n):
            a = self.area[i]
            x, y, z = (F(int(c)) for c in spec.neuron_xyz[i])
            inc = ar.threshold_increment[a]
            self.threshold.append(
                F(ar.firing_threshold[a]) + F(inc[0]) * x + F(inc[1]) * y + F(inc[2]) * z
            )
        self.out: list[list[Synapse]] = [[] for _ in range(self.n)]
        for k in range(spec.synapse_count):
            self.out[int(spec.synapse_source[k])].append(
                Synapse(
                    int(spec.synapse_target[k]),
                    F(spec.synapse_weight[k]),
                    F(spec.synapse_psp[k]),
                    int(spec.synapse_group[k]),
                )
            )
        self.groups = spec.groups
        self.mp = [F(0)] * self.n
        self.countdown = [0] * self.n
        self.consecutive = [0] * self.n
        self.fired_at: list[set[int]] = [set() for _ in range(self.n)]
        self.burst = 0
        self.events = 0
        self.queue: list[tuple[int, np.float32]] = []  # (neuron, mp at firing)
        self.staged: dict[int, np.float32] = {}
        self.forced: set[int] = set()
        self.voxel = [tuple(int(c) for c in spec.neuron_xyz[i]) for i in range(self.n)]

    # input
    def inject(self, neuron: int, value: float) -> None:
        self.staged[neuron] = self.staged.get(neuron, F(0)) + F(value)

    def stimulate(self, neuron: int) -> None:
        self.staged.setdefault(neuron, F(0))
        self.forced.add(neuron)

    def neurons_in(self, area: int, xyz: tuple[int, int, int]) -> list[int]:
        return [i for i in range(self.n) if self.area[i] == area and self.voxel[i] == xyz]

    # the burst
    def step(self) -> list[int]:
        ar = self.a
        self.burst += 1
        b = self.burst
        for i in range(self.n):
            if self.countdown[i] > 0 and (b - 1) not in self.fired_at[i]:
                self.countdown[i] -= 1
                limit = int(ar.consecutive_fire_limit[self.area[i]])
                if self.countdown[i] == 0 and limit > 0 and self.consecutive[i] >= limit:
                    self.consecutive[i] = 0
        candidates = dict(self.staged)
        forced = self.forced
        self.staged, self.forced = {}, set()
        power = set()
        for i in range(self.n):
            if ar.is_power[self.area[i]]:
                candidates.setdefault(i, F(0))
                power.add(i)
        for src, fired_mp in self.queue:
            syns = self.out[src]
            if not syns:
                continue
            a = self.area[src]
            scale = F(1) if ar.psp_uniform_distribution[a] else F(1) / F(len(syns))
            degeneration = F(ar.degeneration[a])
            for s in syns:
                if degeneration > 0:
                    s.psp = max(F(0), F(s.psp - degeneration))
                base = fired_mp if ar.mp_driven_psp[a] else s.psp
                candidates[s.target] = candidates.get(s.target, F(0)) + (s.weight * base) * scale
            self.events += len(syns)
        queue: list[tuple[int, np.float32]] = []
        for i, potential in candidates.items():
            a = self.area[i]
            accumulate = bool(ar.mp_charge_accumulation[a])
            limit = int(ar.consecutive_fire_limit[a])
            mp = self.mp[i] + potential
            if i not in forced:
                if self.countdown[i] > 0:
                    if not accumulate:
                        self.mp[i] = F(0)
                    continue
                if i in power:
                    fire = True
                else:
                    ceiling = F(ar.threshold_limit[a])
                    fire = mp >= self.threshold[i] and (ceiling <= 0 or mp <= ceiling)
                    excitability = F(ar.excitability[a])
                    if fire and excitability < F(0.999):
                        fire = bool(unit_hash(self.seed, i, b) < excitability)
                if fire and limit > 0 and self.consecutive[i] >= limit:
                    self.consecutive[i] = 0
                    self.mp[i] = mp if accumulate else F(0)
                    continue
                if not fire:
                    if accumulate:
                        self.mp[i] = mp * (F(1) - self.leak(i))
                    else:
                        self.mp[i] = F(0)
                    continue
            queue.append((i, mp))
            self.mp[i] = F(0)
            run = min(self.consecutive[i] + 1, 65535) if (b - 1) in self.fired_at[i] else 1
            self.consecutive[i] = run
            self.fired_at[i].add(b)
            wait = int(ar.refractory_period[a])
            if limit > 0 and run >= limit:
                wait += int(ar.snooze_length[a])
            self.countdown[i] = min(wait, 65535)
        self.queue = queue
        self.plasticity()
        return [i for i, _ in queue]

    def leak(self, i: int) -> np.float32:
        a = self.area[i]
        leak = F(self.a.leak_coefficient[a])
        variability = F(self.a.leak_variability[a])
        if variability <= F(2):
            return leak
        span = int(variability) - 1
        u = unit_hash(self.seed ^ 0x5DEECE66D, i, 0)
        k = 1 + int(u * F(span))
        return min(F(1), leak * (F(1) + F(k) / F(100)))

    def plasticity(self) -> None:
        g = self.groups
        b = self.burst
        for src in range(self.n):
            cap = F(self.a.postsynaptic_current_max[self.area[src]])
            for s in self.out[src]:
                if not g.plastic[s.group]:
                    continue
                window = range(b - int(g.plasticity_window[s.group]) + 1, b + 1)
                step_ltp = F(g.plasticity_constant[s.group]) * F(g.ltp_multiplier[s.group])
                step_ltd = F(g.plasticity_constant[s.group]) * F(g.ltd_multiplier[s.group])
                src_all = all(t in self.fired_at[src] for t in window)
                dst_all = all(t in self.fired_at[s.target] for t in window)
                src_any = any(t in self.fired_at[src] for t in window)
                dst_any = any(t in self.fired_at[s.target] for t in window)
                if src_all and dst_all:
                    s.psp = min(cap, F(s.psp + step_ltp))
                elif src_any or dst_any:
                    s.psp = max(F(0), F(s.psp - step_ltd))

    def psp_by_source(self) -> list[np.float32]:
        return [s.psp for syns in self.out for s in syns]
