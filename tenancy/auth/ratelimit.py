"""Keyed token-bucket rate limiting with an injectable clock.

One `TokenBucketLimiter` holds a bucket per key (an email address, a client IP). A bucket
holds at most `capacity` tokens and refills continuously at `capacity / period_s` tokens
per second, so a key may burst `capacity` requests and then sustain one per
`period_s / capacity` seconds. The number of tracked keys is capped; when full the least
recently used bucket is dropped, which can only make the limiter more lenient to that key,
never wrongly refuse anyone.

Limits live in this process only: with several processes each enforces its own share.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Clock", "RateLimit", "TokenBucketLimiter"]

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`capacity` requests per `period_s` seconds, allowing a burst of `capacity`."""

    capacity: int
    period_s: float

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError(f"rate limit capacity must be >= 1, got {self.capacity}")
        if self.period_s <= 0:
            raise ValueError(f"rate limit period must be > 0 s, got {self.period_s}")

    @property
    def refill_per_s(self) -> float:
        return self.capacity / self.period_s


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


class TokenBucketLimiter:
    """Per-key token buckets. `acquire(key)` spends one token or says how long to wait."""

    def __init__(
        self, limit: RateLimit, *, clock: Clock = time.monotonic, max_keys: int = 100_000
    ) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys}")
        self._limit = limit
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def limit(self) -> RateLimit:
        return self._limit

    def acquire(self, key: str) -> float:
        """Spend a token for `key`: 0.0 when allowed, else seconds until one is available."""
        now = self._clock()
        bucket = self._refilled(key, now)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self._limit.refill_per_s

    def peek(self, key: str) -> float:
        """Seconds until `key` could spend a token (0.0 when it could now), spending nothing."""
        bucket = self._refilled(key, self._clock())
        if bucket.tokens >= 1.0:
            return 0.0
        return (1.0 - bucket.tokens) / self._limit.refill_per_s

    def __len__(self) -> int:
        return len(self._buckets)

    def _refilled(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = _Bucket(tokens=float(self._limit.capacity), updated=now)
            self._buckets[key] = bucket
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return bucket
        self._buckets.move_to_end(key)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(
            float(self._limit.capacity), bucket.tokens + elapsed * self._limit.refill_per_s
        )
        bucket.updated = now
        return bucket
