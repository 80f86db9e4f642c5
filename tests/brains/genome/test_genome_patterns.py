"""Pattern elements: every form feagi-core accepts, and nothing else."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from brains.genome import PatternKind, PatternSyntaxError, parse_pattern_element


@pytest.mark.parametrize(
    ("raw", "kind", "value", "low", "high"),
    [
        (3, PatternKind.EXACT, 3, 0, 0),
        ("7", PatternKind.EXACT, 7, 0, 0),
        ("*", PatternKind.ANY, 0, 0, 0),
        ("?", PatternKind.SAME, 0, 0, 0),
        ("!", PatternKind.EXCEPT, 0, 0, 0),
        ("?+", PatternKind.ABOVE, 0, 0, 0),
        ("?-", PatternKind.BELOW, 0, 0, 0),
        ("?+=", PatternKind.ABOVE_OR_SAME, 0, 0, 0),
        ("?-=", PatternKind.BELOW_OR_SAME, 0, 0, 0),
        ("?+2", PatternKind.OFFSET, 2, 0, 0),
        ("?-3", PatternKind.OFFSET, -3, 0, 0),
        ("?-1:?+2", PatternKind.RELATIVE_RANGE, 0, -1, 2),
        ("2..5", PatternKind.ABSOLUTE_RANGE, 0, 2, 5),
    ],
)
def test_each_pattern_form_parses(
    raw: int | str, kind: PatternKind, value: int, low: int, high: int
) -> None:
    element = parse_pattern_element(raw)
    assert (element.kind, element.value, element.low, element.high) == (kind, value, low, high)
    assert element.raw == raw


@pytest.mark.parametrize(
    "raw", [-1, True, 1.5, None, [], "", "x", "?+a", "5..2", "?+2:?-2", "**", "1..", " 1"]
)
def test_malformed_elements_are_rejected(raw: object) -> None:
    with pytest.raises(PatternSyntaxError):
        parse_pattern_element(raw)


@given(st.one_of(st.integers(), st.text(max_size=8), st.floats(), st.none(), st.booleans()))
def test_parsing_any_value_either_succeeds_or_raises_a_syntax_error(raw: object) -> None:
    try:
        element = parse_pattern_element(raw)
    except PatternSyntaxError:
        return
    assert element.raw == raw


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_absolute_ranges_keep_their_bounds(a: int, b: int) -> None:
    low, high = min(a, b), max(a, b)
    element = parse_pattern_element(f"{low}..{high}")
    assert (element.low, element.high) == (low, high)
