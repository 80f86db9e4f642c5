"""The brain host's errors: one `HostError` hierarchy, each also a tenancy error class so the
HTTP edge maps it to one status (404, 403, 422, 409) without a table of its own."""

from __future__ import annotations

from collections.abc import Sequence

from brains.genome import GenomeError
from tenancy.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    TenancyError,
)

__all__ = [
    "BrainBusy",
    "BrainNotFound",
    "HostError",
    "InvalidCommand",
    "InvalidGenome",
    "QuotaExceeded",
]


class HostError(TenancyError):
    """Base class of every brain-host error."""

    code = "host_error"


class BrainNotFound(HostError, NotFoundError):  # noqa: N818 - name fixed by the host API
    """No such brain in this workspace (or it is in another one)."""

    code = "brain_not_found"

    def __init__(self, brain_id: str) -> None:
        super().__init__(f"no brain {brain_id!r} in this workspace")
        self.brain_id = brain_id


class QuotaExceeded(HostError, ForbiddenError):  # noqa: N818 - name fixed by the host API
    """A per-workspace quota would be exceeded; `quota` names it, `limit` is its value."""

    code = "quota_exceeded"

    def __init__(self, quota: str, limit: float, message: str) -> None:
        # Counts read as counts ("20,000,000", not "2e+07"); frequencies as they were set.
        shown = f"{limit:,}" if isinstance(limit, int) else f"{limit:g}"
        super().__init__(f"quota {quota} exceeded (limit {shown}): {message}",
                         fields={"quota": quota})
        self.quota = quota
        self.limit = limit


class InvalidCommand(HostError, InvalidInputError):  # noqa: N818 - name fixed by the host API
    """An unknown command, bad arguments, or a command the brain cannot do now."""

    code = "invalid_command"


class InvalidGenome(InvalidCommand):
    """A genome failed validation; `errors` lists every problem with its JSON path."""

    code = "invalid_genome"

    def __init__(self, errors: Sequence[GenomeError]) -> None:
        fields: dict[str, str] = {}
        for error in errors:
            text = f"{error.message} [{error.kind}]"
            fields[error.path] = f"{fields[error.path]}; {text}" if error.path in fields else text
        count = len(errors)
        super().__init__(
            f"the genome has {count} error{'s' if count != 1 else ''}; the brain keeps its "
            "previous genome (see fields: JSON path -> problem)",
            fields=fields,
        )
        self.errors = list(errors)


class BrainBusy(HostError, ConflictError):  # noqa: N818 - name fixed by the host API
    """The brain's mailbox is full, it did not answer in time, or it is restarting."""

    code = "brain_busy"
