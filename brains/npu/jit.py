"""The one place numba options are chosen for every NPU kernel.

* ``cache=True``: compiled machine code is reused across processes (first compile is slow).
* ``nogil=True``: a kernel releases the GIL, so an asyncio host can run it in a worker thread
  and keep serving while a brain bursts.
* ``boundscheck=False``: inputs are validated once at the boundary (``layout``), not per access.
* ``fastmath=False``: propagation is a memory-bound scatter where reassociation buys nothing,
  and exact IEEE float32 arithmetic keeps bursts bit-identical to the pure-Python reference,
  across batch and single-brain runs, and across machines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numba

__all__ = ["kernel"]

_F = TypeVar("_F", bound=Callable[..., Any])

_OPTIONS: dict[str, Any] = {
    "cache": True,
    "nogil": True,
    "boundscheck": False,
    "fastmath": False,
    "error_model": "numpy",
}


def kernel(func: _F) -> _F:
    """Compile ``func`` with the project's numba options (lazily, on first call)."""
    compiled: _F = numba.njit(**_OPTIONS)(func)
    return compiled
