"""Load every burst kernel before it is needed.

numba compiles on first call (seconds, holding the GIL) or loads from its on-disk cache
(``cache=True``); either way the first call is slow. Hosts call :func:`warm_up_kernels` at
start-up, off the event loop, so no request pays it and no loop stalls on it.
"""

from __future__ import annotations

import time

from brains.brain import Brain
from brains.genome import load_template

__all__ = ["warm_up_kernels"]


def warm_up_kernels() -> float:
    """Run every kernel entry point once on a small real brain; returns the seconds taken."""
    started = time.perf_counter()
    brain = Brain.develop(load_template("essential"))
    brain.stimulate("iic100")
    brain.inject_sensory("iic100", [[0, 0, 0, 1.0]])
    brain.step(4)
    brain.motor()
    return time.perf_counter() - started
