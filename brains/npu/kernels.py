"""Burst kernels: housekeeping, propagation, integrate-and-fire, input staging, read-out.

Arrays in, arrays out (scalars that change live in small ``counters`` arrays). Semantics follow
feagi-core's ``process_burst`` (see ``engine`` for the rule list and the deliberate
differences). Every kernel here is also written, slowly and plainly, in the test suite's
pure-Python reference; keep the two in step.
"""

from __future__ import annotations

import numpy as np

from brains.npu.jit import kernel
from brains.npu.plasticity_kernels import apply_plasticity

__all__ = [
    "AREA_ACCUMULATE",
    "AREA_MOTOR",
    "AREA_MP_DRIVEN",
    "AREA_POWER",
    "AREA_SENSORY",
    "AREA_UNIFORM",
    "C_BURST",
    "C_CANDIDATES",
    "C_EVENTS",
    "C_FIRED",
    "NEURON_CANDIDATE",
    "NEURON_FORCED",
    "NEURON_POWER",
    "count_fired_per_slot",
    "run_bursts",
    "stage_input",
    "unit_hash",
]

# Per-area flag bits (``area_flags``).
AREA_ACCUMULATE = 1
AREA_MP_DRIVEN = 2
AREA_UNIFORM = 4
AREA_POWER = 8
AREA_SENSORY = 16
AREA_MOTOR = 32

# Per-neuron staging bits (``neuron_flags``), cleared when the candidate is processed.
NEURON_CANDIDATE = 1
NEURON_FORCED = 2  # stimulation: fires, bypassing threshold, refractoriness and limits
NEURON_POWER = 4  # power area: fires unless refractory or at its consecutive-fire limit

# Slots of the ``counters`` int64 array shared by the kernels.
C_FIRED = 0  # neurons in the fire queue (fired last burst)
C_CANDIDATES = 1  # staged candidates waiting for the next burst
C_BURST = 2  # bursts run so far
C_EVENTS = 3  # synaptic events so far (synapses traversed by propagation)

_K_NEURON = np.uint64(0x9E3779B97F4A7C15)
_K_BURST = np.uint64(0xC2B2AE3D27D4EB4F)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S40 = np.uint64(40)
_TWO24 = np.float32(16777216.0)
_LEAK_SALT = np.uint64(0x5DEECE66D)
_ONE_F = np.float32(1.0)
_ZERO_F = np.float32(0.0)
_HUNDRED_F = np.float32(100.0)
_ALWAYS = np.float32(0.999)
_U16_MAX = 65535


@kernel
def unit_hash(seed: np.uint64, neuron: np.uint64, burst: np.uint64) -> np.float32:
    """A uniform float32 in [0, 1) from (seed, neuron, burst): splitmix64's finaliser."""
    z = seed ^ (neuron * _K_NEURON) ^ (burst * _K_BURST)
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return np.float32(z >> _S40) / _TWO24


@kernel
def _neuron_leak(
    leak: np.float32, variability: np.float32, seed: np.uint64, local: np.uint64
) -> np.float32:
    # FEAGI: leak + leak * randrange(1, variability) / 100 when variability > 2; a fixed
    # per-neuron draw (hash of seed and neuron) keeps it deterministic without storing it.
    if variability <= np.float32(2.0):
        value = leak
    else:
        span = np.int64(variability) - 1
        k = 1 + np.int64(unit_hash(seed ^ _LEAK_SALT, local, np.uint64(0)) * np.float32(span))
        value = leak * (_ONE_F + np.float32(k) / _HUNDRED_F)
    if value > _ONE_F:
        value = _ONE_F
    return value


@kernel
def _housekeeping(
    history: np.ndarray,
    countdown: np.ndarray,
    consecutive: np.ndarray,
    neuron_area: np.ndarray,
    area_fire_limit: np.ndarray,
) -> None:
    # Once per burst: refractory/snooze countdowns tick for neurons that did not just fire
    # (a neuron that fired last burst has a fresh countdown), and the fire history shifts.
    for n in range(history.shape[0]):
        h = history[n]
        c = countdown[n]
        if c > 0 and (h & np.uint32(1)) == 0:
            c -= 1
            countdown[n] = c
            if c == 0:
                limit = area_fire_limit[neuron_area[n]]
                if limit > 0 and consecutive[n] >= limit:
                    consecutive[n] = 0
        history[n] = h << np.uint32(1)


@kernel
def _enroll(n: int, neuron_flags: np.ndarray, candidates: np.ndarray, count: int) -> int:
    """Put neuron ``n`` on this burst's candidate list once; returns the list's new length."""
    f = neuron_flags[n]
    if (f & NEURON_CANDIDATE) == 0:
        neuron_flags[n] = f | NEURON_CANDIDATE
        candidates[count] = n
        return count + 1
    return count


@kernel
def _stage_power(
    power_neurons: np.ndarray,
    candidates: np.ndarray,
    neuron_flags: np.ndarray,
    counters: np.ndarray,
) -> None:
    count = counters[C_CANDIDATES]
    for i in range(power_neurons.shape[0]):
        n = power_neurons[i]
        count = _enroll(n, neuron_flags, candidates, count)
        neuron_flags[n] = neuron_flags[n] | NEURON_POWER
    counters[C_CANDIDATES] = count


@kernel
def _propagate(
    fired: np.ndarray,
    fired_mp: np.ndarray,
    indptr: np.ndarray,
    syn_target: np.ndarray,
    syn_weight: np.ndarray,
    syn_psp: np.ndarray,
    neuron_area: np.ndarray,
    area_flags: np.ndarray,
    area_degeneration: np.ndarray,
    candidates: np.ndarray,
    candidate_potential: np.ndarray,
    neuron_flags: np.ndarray,
    events_by_area: np.ndarray,
    counters: np.ndarray,
) -> None:
    # Last burst's fire queue delivers into this burst's candidates: one burst of delay.
    count = counters[C_CANDIDATES]
    events = counters[C_EVENTS]
    for i in range(counters[C_FIRED]):
        src = fired[i]
        lo = indptr[src]
        hi = indptr[src + 1]
        degree = hi - lo
        if degree == 0:
            continue
        a = neuron_area[src]
        flags = area_flags[a]
        scale = _ONE_F
        if (flags & AREA_UNIFORM) == 0:
            scale = _ONE_F / np.float32(degree)
        degeneration = area_degeneration[a]
        if (flags & AREA_MP_DRIVEN) == 0 and degeneration <= _ZERO_F:
            for s in range(lo, hi):
                t = syn_target[s]
                count = _enroll(t, neuron_flags, candidates, count)
                candidate_potential[t] += (syn_weight[s] * syn_psp[s]) * scale
        else:
            driven = (flags & AREA_MP_DRIVEN) != 0
            for s in range(lo, hi):
                psp = syn_psp[s]
                if degeneration > _ZERO_F:
                    psp = psp - degeneration
                    if psp < _ZERO_F:
                        psp = _ZERO_F
                    syn_psp[s] = psp
                if driven:
                    psp = fired_mp[i]
                t = syn_target[s]
                count = _enroll(t, neuron_flags, candidates, count)
                candidate_potential[t] += (syn_weight[s] * psp) * scale
        events += degree
        events_by_area[a] += degree
    counters[C_CANDIDATES] = count
    counters[C_EVENTS] = events


@kernel
def _integrate_and_fire(
    burst: np.int64,
    candidates: np.ndarray,
    candidate_potential: np.ndarray,
    neuron_flags: np.ndarray,
    membrane_potential: np.ndarray,
    threshold: np.ndarray,
    countdown: np.ndarray,
    consecutive: np.ndarray,
    history: np.ndarray,
    neuron_area: np.ndarray,
    area_flags: np.ndarray,
    area_leak: np.ndarray,
    area_leak_variability: np.ndarray,
    area_threshold_limit: np.ndarray,
    area_refractory: np.ndarray,
    area_fire_limit: np.ndarray,
    area_snooze: np.ndarray,
    area_excitability: np.ndarray,
    area_brain: np.ndarray,
    brain_seed: np.ndarray,
    brain_neuron_offset: np.ndarray,
    brain_burst_offset: np.ndarray,
    fired: np.ndarray,
    fired_mp: np.ndarray,
    fired_by_area: np.ndarray,
    counters: np.ndarray,
) -> None:
    n_fired = 0
    # Candidates mostly arrive area by area: keep the current area's physiology in registers.
    last = np.int64(-1)
    accumulate = False
    limit = np.int64(0)
    ceiling = _ZERO_F
    excitability = _ONE_F
    leak = _ZERO_F
    variability = _ZERO_F
    for i in range(counters[C_CANDIDATES]):
        n = candidates[i]
        f = neuron_flags[n]
        potential = candidate_potential[n]
        neuron_flags[n] = 0
        candidate_potential[n] = _ZERO_F
        a = np.int64(neuron_area[n])
        if a != last:
            last = a
            accumulate = (area_flags[a] & AREA_ACCUMULATE) != 0
            limit = np.int64(area_fire_limit[a])
            ceiling = area_threshold_limit[a]
            excitability = area_excitability[a]
            leak = area_leak[a]
            variability = area_leak_variability[a]
        mp = membrane_potential[n]
        if (f & NEURON_FORCED) == 0:
            if countdown[n] > 0:
                # Refractory or snoozing: the input is discarded.
                if not accumulate:
                    membrane_potential[n] = _ZERO_F
                continue
            mp = mp + potential
            fire = True
            if (f & NEURON_POWER) == 0:
                fire = bool(mp >= threshold[n] and (ceiling <= _ZERO_F or mp <= ceiling))
                if fire and excitability < _ALWAYS:
                    b = area_brain[a]
                    local = np.uint64(n - brain_neuron_offset[b])
                    local_burst = np.uint64(burst - brain_burst_offset[b])
                    fire = bool(unit_hash(brain_seed[b], local, local_burst) < excitability)
            if fire and limit > 0 and consecutive[n] >= limit:
                # At the consecutive-fire limit: blocked once, count restarts, no leak.
                consecutive[n] = 0
                membrane_potential[n] = mp if accumulate else _ZERO_F
                continue
            if not fire:
                if accumulate:
                    fraction = leak
                    if variability > np.float32(2.0):
                        b = area_brain[a]
                        fraction = _neuron_leak(
                            leak,
                            variability,
                            brain_seed[b],
                            np.uint64(n - brain_neuron_offset[b]),
                        )
                    membrane_potential[n] = mp * (_ONE_F - fraction)
                else:
                    membrane_potential[n] = _ZERO_F
                continue
        else:
            mp = mp + potential
        # Fire: joins the fire queue that propagates next burst.
        fired[n_fired] = n
        fired_mp[n_fired] = mp
        n_fired += 1
        membrane_potential[n] = _ZERO_F
        h = history[n]
        run = np.int64(1)
        if (h & np.uint32(2)) != 0 and consecutive[n] < _U16_MAX:
            run = np.int64(consecutive[n]) + 1
        consecutive[n] = run
        history[n] = h | np.uint32(1)
        wait = np.int64(area_refractory[a])
        if limit > 0 and run >= limit:
            wait += np.int64(area_snooze[a])
        countdown[n] = min(wait, _U16_MAX)
        fired_by_area[a] += 1
    counters[C_FIRED] = n_fired
    counters[C_CANDIDATES] = 0


@kernel
def run_bursts(
    n_bursts: np.int64,
    counters: np.ndarray,
    fired_per_burst: np.ndarray,
    membrane_potential: np.ndarray,
    threshold: np.ndarray,
    countdown: np.ndarray,
    consecutive: np.ndarray,
    history: np.ndarray,
    neuron_area: np.ndarray,
    neuron_flags: np.ndarray,
    candidates: np.ndarray,
    candidate_potential: np.ndarray,
    fired: np.ndarray,
    fired_mp: np.ndarray,
    fired_by_area: np.ndarray,
    events_by_area: np.ndarray,
    indptr: np.ndarray,
    syn_target: np.ndarray,
    syn_weight: np.ndarray,
    syn_psp: np.ndarray,
    syn_group: np.ndarray,
    power_neurons: np.ndarray,
    area_flags: np.ndarray,
    area_leak: np.ndarray,
    area_leak_variability: np.ndarray,
    area_threshold_limit: np.ndarray,
    area_refractory: np.ndarray,
    area_fire_limit: np.ndarray,
    area_snooze: np.ndarray,
    area_excitability: np.ndarray,
    area_degeneration: np.ndarray,
    area_psc_max: np.ndarray,
    area_plastic: np.ndarray,
    area_brain: np.ndarray,
    group_plastic: np.ndarray,
    group_window_mask: np.ndarray,
    group_ltp_step: np.ndarray,
    group_ltd_step: np.ndarray,
    brain_seed: np.ndarray,
    brain_neuron_offset: np.ndarray,
    brain_burst_offset: np.ndarray,
    plasticity_on: bool,
) -> None:
    """Run ``n_bursts`` whole bursts; ``fired_per_burst[k]`` gets the k-th burst's total."""
    for k in range(n_bursts):
        burst = counters[C_BURST] + 1
        _housekeeping(history, countdown, consecutive, neuron_area, area_fire_limit)
        fired_by_area[:] = 0
        _stage_power(power_neurons, candidates, neuron_flags, counters)
        _propagate(
            fired,
            fired_mp,
            indptr,
            syn_target,
            syn_weight,
            syn_psp,
            neuron_area,
            area_flags,
            area_degeneration,
            candidates,
            candidate_potential,
            neuron_flags,
            events_by_area,
            counters,
        )
        _integrate_and_fire(
            burst,
            candidates,
            candidate_potential,
            neuron_flags,
            membrane_potential,
            threshold,
            countdown,
            consecutive,
            history,
            neuron_area,
            area_flags,
            area_leak,
            area_leak_variability,
            area_threshold_limit,
            area_refractory,
            area_fire_limit,
            area_snooze,
            area_excitability,
            area_brain,
            brain_seed,
            brain_neuron_offset,
            brain_burst_offset,
            fired,
            fired_mp,
            fired_by_area,
            counters,
        )
        if plasticity_on:
            apply_plasticity(
                indptr,
                syn_target,
                syn_psp,
                syn_group,
                neuron_area,
                history,
                area_plastic,
                area_psc_max,
                group_plastic,
                group_window_mask,
                group_ltp_step,
                group_ltd_step,
            )
        counters[C_BURST] = burst
        if k < fired_per_burst.shape[0]:
            fired_per_burst[k] = counters[C_FIRED]


@kernel
def stage_input(
    neurons: np.ndarray,
    values: np.ndarray,
    force: bool,
    candidates: np.ndarray,
    candidate_potential: np.ndarray,
    neuron_flags: np.ndarray,
    counters: np.ndarray,
) -> None:
    """Stage sensory potential (``values``) or force-fire (``force``) for the next burst."""
    count = counters[C_CANDIDATES]
    for i in range(neurons.shape[0]):
        n = neurons[i]
        count = _enroll(n, neuron_flags, candidates, count)
        if force:
            neuron_flags[n] = neuron_flags[n] | NEURON_FORCED
        else:
            candidate_potential[n] += values[i]
    counters[C_CANDIDATES] = count


@kernel
def count_fired_per_slot(
    fired: np.ndarray,
    n_fired: np.int64,
    neuron_area: np.ndarray,
    area_slot_table: np.ndarray,
    table_neurons: np.ndarray,
    table_slots: np.ndarray,
    slot_counts: np.ndarray,
) -> None:
    """Count fired neurons per read-out voxel slot.

    ``area_slot_table[a]`` is >= 0 for read-out areas; ``table_neurons`` (sorted) and
    ``table_slots`` map each read-out neuron to its voxel slot.
    """
    slot_counts[:] = 0
    for i in range(n_fired):
        n = fired[i]
        if area_slot_table[neuron_area[n]] < 0:
            continue
        j = np.searchsorted(table_neurons, n)
        slot_counts[table_slots[j]] += 1
