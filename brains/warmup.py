"""Load every burst kernel before a brain needs it, once per process.

numba compiles a kernel on its first call (seconds) or loads it from its on-disk cache
(``cache=True``; about half a second on a 2-core machine, most of it importing numba and
building its typing registries, which also imports cffi and pycparser). Either way that is
pure-Python work holding the GIL, paid once per process.

:func:`warm_up_kernels` pays it on a small real brain. :class:`KernelWarmup` pays it in a
background thread, so a service reports ready before numba is even imported (``brains.npu``
imports it on first use), and lets brain work :meth:`~KernelWarmup.wait` for it: the first
brain request then neither pays for the load nor loads kernels concurrently with the
warm-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Literal

import structlog

__all__ = ["KernelWarmup", "WarmupState", "kernels_loaded", "warm_up_kernels"]

_log = structlog.get_logger("brains.warmup")

_loaded = threading.Event()
_loading = threading.Lock()

WarmupState = Literal["loading", "ready", "failed"]


def kernels_loaded() -> bool:
    """True once :func:`warm_up_kernels` has succeeded in this process."""
    return _loaded.is_set()


def warm_up_kernels() -> float:
    """Run every kernel entry point once on a small real brain; returns the seconds taken.

    Blocks for as long as the load takes (call it off the event loop); returns 0.0 when the
    kernels were loaded already. Concurrent callers wait for the first.
    """
    with _loading:
        if _loaded.is_set():
            return 0.0
        started = time.perf_counter()
        # Imported here: these import the kernels and numba, the cost being paid.
        from brains.brain import Brain
        from brains.genome import load_template

        brain = Brain.develop(load_template("essential"))
        brain.stimulate("iic100")
        brain.inject_sensory("iic100", [[0, 0, 0, 1.0]])
        brain.step(4)
        brain.motor()
        _loaded.set()
        return time.perf_counter() - started


class KernelWarmup:
    """Loads the kernels in a background thread; brain work awaits :meth:`wait` first.

    ``load`` returns the seconds it took, 0.0 when the kernels were loaded already (as
    :func:`warm_up_kernels` does). A load that did work is logged as ``kernels.loaded``, a
    failed one as ``kernels.load_failed``; :attr:`state`, :attr:`seconds` and :attr:`error`
    keep the outcome.
    """

    def __init__(
        self,
        load: Callable[[], float] = warm_up_kernels,
        *,
        wait_timeout_s: float = 30.0,
    ) -> None:
        self.state: WarmupState = "loading"
        self.error: BaseException | None = None
        self.seconds: float | None = None
        self._load = load
        self._wait_timeout_s = wait_timeout_s
        self._done: asyncio.Event | None = None

    def start(self) -> None:
        """Begin loading in a daemon thread; call once, on the event loop."""
        if self._done is not None:
            raise RuntimeError("the kernel warm-up was started already")
        self._done = asyncio.Event()
        loop = asyncio.get_running_loop()

        def run() -> None:
            seconds: float | None = None
            error: BaseException | None = None
            try:
                seconds = self._load()
            except BaseException as exc:  # reported on the loop, never lost with the thread
                error = exc
            # The loop is closed when the service stopped during the load: nobody waits.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._finish, seconds, error)

        # A daemon thread: a service stopped during a slow load (a cold numba cache compiles
        # for seconds) exits without waiting for it. numba writes its cache files atomically.
        threading.Thread(target=run, name="kernel warm-up", daemon=True).start()

    async def wait(self) -> None:
        """Return once the load ended, or after ``wait_timeout_s``; never raises.

        Brain work proceeds either way: if the kernels cannot load, it fails with its own
        error; if the load is merely slow, its first kernel call still waits for it, in the
        worker thread making the call (on the import lock and numba's compiler lock).
        """
        done = self._done
        if done is None or done.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._wait_timeout_s):
                await done.wait()

    def _finish(self, seconds: float | None, error: BaseException | None) -> None:
        if error is None:
            self.state, self.seconds = "ready", seconds
            if seconds:
                _log.info("kernels.loaded", seconds=round(seconds, 3))
        else:
            self.state, self.error = "failed", error
            _log.error("kernels.load_failed", exc_info=error)
        assert self._done is not None
        self._done.set()
