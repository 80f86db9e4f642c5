"""Store answers trusted for a short time, and forgotten at once when this process writes.

Authentication (token not revoked), workspace seats and FEAGI keys are read on every
request, and a store read costs more than the request itself; their answers change only
on rare writes. `RecentAnswers` keeps them for ``ttl_s`` (a `cachetools.TTLCache` on an
injectable monotonic clock): a write made through this process forgets every answer once
it is done (`changing`), one made by another process sharing the store is seen within
``ttl_s``. A ``ttl_s`` of 0 keeps nothing: every lookup reads the store.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from cachetools import TTLCache

__all__ = ["RecentAnswers"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RecentAnswers(Generic[K, V]):
    """Up to ``maxsize`` answers by key, each trusted for ``ttl_s`` seconds."""

    def __init__(
        self,
        what: str,
        ttl_s: float,
        *,
        maxsize: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl_s < 0:
            raise ValueError(f"{what} cache ttl must be >= 0 s, got {ttl_s}")
        self._answers: TTLCache[K, V] | None = (
            TTLCache(maxsize, ttl_s, timer=clock) if ttl_s > 0 else None
        )

    def get(self, key: K) -> V | None:
        """The answer kept for ``key``, or None (never kept, expired, or forgotten)."""
        return self._answers.get(key) if self._answers is not None else None

    def keep(self, key: K, answer: V) -> None:
        """Trust ``answer`` for ``key`` from now for ``ttl_s``."""
        if self._answers is not None:
            self._answers[key] = answer

    def forget_all(self) -> None:
        """Forget every answer (writes are rare: simpler than finding the ones they touch)."""
        if self._answers is not None:
            self._answers.clear()

    @contextmanager
    def changing(self) -> Iterator[None]:
        """Around a write that may change a kept answer: forget them all once it is done.

        After the write, not before: a lookup racing it then reads the new state from the
        store instead of keeping the old one for another ``ttl_s``.
        """
        try:
            yield
        finally:
            self.forget_all()
