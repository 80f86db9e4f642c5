"""Token-bucket limiter: bursts, refill, Retry-After, bounded memory."""

from __future__ import annotations

import pytest

from tenancy.auth.ratelimit import RateLimit, TokenBucketLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_allows_a_burst_of_capacity_then_refuses() -> None:
    limiter = TokenBucketLimiter(RateLimit(3, 60.0), clock=FakeClock())
    assert [limiter.acquire("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("a") == pytest.approx(20.0)


def test_refills_one_token_per_period_over_capacity() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(RateLimit(3, 60.0), clock=clock)
    for _ in range(3):
        limiter.acquire("a")
    clock.now += 19.0
    assert limiter.acquire("a") == pytest.approx(1.0)
    clock.now += 1.0
    assert limiter.acquire("a") == 0.0


def test_keys_are_independent() -> None:
    limiter = TokenBucketLimiter(RateLimit(1, 60.0), clock=FakeClock())
    assert limiter.acquire("a") == 0.0
    assert limiter.acquire("a") > 0
    assert limiter.acquire("b") == 0.0


def test_peek_spends_nothing() -> None:
    limiter = TokenBucketLimiter(RateLimit(1, 60.0), clock=FakeClock())
    assert limiter.peek("a") == 0.0
    assert limiter.peek("a") == 0.0
    assert limiter.acquire("a") == 0.0
    assert limiter.peek("a") == pytest.approx(60.0)


def test_refused_requests_do_not_extend_the_wait() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(RateLimit(1, 10.0), clock=clock)
    limiter.acquire("a")
    for _ in range(50):
        limiter.acquire("a")
    clock.now += 10.0
    assert limiter.acquire("a") == 0.0


def test_tracked_keys_are_capped_dropping_the_least_recent() -> None:
    limiter = TokenBucketLimiter(RateLimit(1, 60.0), clock=FakeClock(), max_keys=2)
    limiter.acquire("a")
    limiter.acquire("b")
    limiter.acquire("a")  # refused, but touches "a"
    limiter.acquire("c")  # evicts "b"
    assert len(limiter) == 2
    assert limiter.peek("a") > 0


def test_tokens_never_exceed_capacity_after_a_long_idle() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(RateLimit(2, 10.0), clock=clock)
    limiter.acquire("a")
    clock.now += 10_000
    assert [limiter.acquire("a") for _ in range(2)] == [0.0, 0.0]
    assert limiter.acquire("a") > 0


@pytest.mark.parametrize(("capacity", "period"), [(0, 1.0), (1, 0.0), (1, -1.0)])
def test_nonsense_limits_are_refused(capacity: int, period: float) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        RateLimit(capacity, period)
