"""RecentAnswers: answers trusted for a while, forgotten at once around local writes."""

from __future__ import annotations

import pytest
from tenancy_fixtures import FakeClock

from tenancy.recent_answers import RecentAnswers


def test_an_answer_is_kept_until_its_ttl_ends() -> None:
    clock = FakeClock(start=0.0)
    answers: RecentAnswers[str, int] = RecentAnswers("test", 1.0, clock=clock)
    answers.keep("k", 7)
    clock.advance(0.99)
    assert answers.get("k") == 7
    clock.advance(0.02)
    assert answers.get("k") is None


def test_a_zero_ttl_keeps_nothing() -> None:
    answers: RecentAnswers[str, int] = RecentAnswers("test", 0)
    answers.keep("k", 7)
    assert answers.get("k") is None


def test_a_write_forgets_every_answer_even_when_it_fails() -> None:
    answers: RecentAnswers[str, int] = RecentAnswers("test", 60.0)
    answers.keep("a", 1)
    with pytest.raises(RuntimeError), answers.changing():
        raise RuntimeError("the write failed half way")
    assert answers.get("a") is None


def test_a_negative_ttl_is_refused_naming_the_cache() -> None:
    with pytest.raises(ValueError, match="FEAGI key cache ttl must be >= 0 s"):
        RecentAnswers("FEAGI key", -1)
