"""Collects genome errors so a parse can report all of them at once."""

from __future__ import annotations

from brains.genome.errors import ErrorKind, GenomeError, GenomeValidationError


class ErrorCollector:
    """The errors found so far; parsers record into it and keep going."""

    def __init__(self) -> None:
        self.errors: list[GenomeError] = []

    def error(self, path: str, kind: ErrorKind, message: str) -> None:
        self.errors.append(GenomeError(path, kind, message))

    def fail_if_errors(self) -> None:
        if self.errors:
            raise GenomeValidationError(self.errors)


class SectionParser:
    """Base of the parsers of one part of a genome: records errors into a shared collector."""

    def __init__(self, sink: ErrorCollector) -> None:
        self.sink = sink

    @property
    def errors(self) -> list[GenomeError]:
        return self.sink.errors

    def error(self, path: str, kind: ErrorKind, message: str) -> None:
        self.sink.error(path, kind, message)
