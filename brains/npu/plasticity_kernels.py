"""STDP-style plasticity over a window of bursts (feagi-core's rule, in PSC units).

For every synapse of a plastic mapping, with ``W`` its window and ``mask`` the low ``W`` bits
of the fire history (bit 0 = this burst): if source and target both fired in every burst of
the window, its PSP grows by ``constant * ltp_multiplier`` up to the source area's
``postsynaptic_current_max``; otherwise, if either fired in any burst of the window, it shrinks
by ``constant * ltd_multiplier``, floored at 0.
"""

from __future__ import annotations

import numpy as np

from brains.npu.jit import kernel

__all__ = ["apply_plasticity"]

_ZERO_F = np.float32(0.0)


@kernel
def apply_plasticity(
    indptr: np.ndarray,
    syn_target: np.ndarray,
    syn_psp: np.ndarray,
    syn_group: np.ndarray,
    neuron_area: np.ndarray,
    history: np.ndarray,
    area_plastic: np.ndarray,
    area_psc_max: np.ndarray,
    group_plastic: np.ndarray,
    group_window_mask: np.ndarray,
    group_ltp_step: np.ndarray,
    group_ltd_step: np.ndarray,
) -> None:
    for n in range(neuron_area.shape[0]):
        a = neuron_area[n]
        if not area_plastic[a]:
            continue
        h_src = history[n]
        cap = area_psc_max[a]
        for s in range(indptr[n], indptr[n + 1]):
            g = syn_group[s]
            if not group_plastic[g]:
                continue
            mask = group_window_mask[g]
            src = h_src & mask
            dst = history[syn_target[s]] & mask
            if src == mask and dst == mask:
                psp = syn_psp[s] + group_ltp_step[g]
                if psp > cap:
                    psp = cap
                syn_psp[s] = psp
            elif src != 0 or dst != 0:
                psp = syn_psp[s] - group_ltd_step[g]
                if psp < _ZERO_F:
                    psp = _ZERO_F
                syn_psp[s] = psp
