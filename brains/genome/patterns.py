"""Parsing of pattern-morphology elements (``*``, ``?``, ``!``, ints, ranges, offsets)."""

from __future__ import annotations

import re

from brains.genome.model import PatternElement, PatternKind

_KEYWORDS: dict[str, PatternKind] = {
    "*": PatternKind.ANY,
    "?": PatternKind.SAME,
    "!": PatternKind.EXCEPT,
    "?+": PatternKind.ABOVE,
    "?-": PatternKind.BELOW,
    "?+=": PatternKind.ABOVE_OR_SAME,
    "?-=": PatternKind.BELOW_OR_SAME,
}
_INT = r"[+-]?\d+"
_EXACT_RE = re.compile(r"\d+")
_OFFSET_RE = re.compile(rf"\?({_INT})")
_RELATIVE_RANGE_RE = re.compile(rf"\?({_INT}):\?({_INT})")
_ABSOLUTE_RANGE_RE = re.compile(r"(\d+)\.\.(\d+)")

PATTERN_SYNTAX = (
    'an integer >= 0, "*", "?", "!", "?+", "?-", "?+=", "?-=", "?+N", "?-N", "?-A:?+B" or "N..M"'
)


class PatternSyntaxError(ValueError):
    """A pattern element is not one FEAGI understands."""


def parse_pattern_element(raw: object) -> PatternElement:
    """Parse one axis of a pattern; raises :class:`PatternSyntaxError` with the reason."""
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise PatternSyntaxError(f"pattern element {raw!r} must be {PATTERN_SYNTAX}")
    if isinstance(raw, int):
        if raw < 0:
            raise PatternSyntaxError(f"pattern coordinate {raw} is negative")
        return PatternElement(PatternKind.EXACT, raw, value=raw)
    keyword = _KEYWORDS.get(raw)
    if keyword is not None:
        return PatternElement(keyword, raw)
    if _EXACT_RE.fullmatch(raw):
        return PatternElement(PatternKind.EXACT, raw, value=int(raw))
    if match := _OFFSET_RE.fullmatch(raw):
        return PatternElement(PatternKind.OFFSET, raw, value=int(match[1]))
    if match := _RELATIVE_RANGE_RE.fullmatch(raw):
        low, high = int(match[1]), int(match[2])
        if low > high:
            raise PatternSyntaxError(f"relative range {raw!r} has its bounds reversed")
        return PatternElement(PatternKind.RELATIVE_RANGE, raw, low=low, high=high)
    if match := _ABSOLUTE_RANGE_RE.fullmatch(raw):
        low, high = int(match[1]), int(match[2])
        if low > high:
            raise PatternSyntaxError(f"range {raw!r} has its bounds reversed")
        return PatternElement(PatternKind.ABSOLUTE_RANGE, raw, low=low, high=high)
    raise PatternSyntaxError(f"pattern element {raw!r} must be {PATTERN_SYNTAX}")
