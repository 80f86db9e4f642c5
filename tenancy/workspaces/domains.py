"""A cached domain -> workspace resolver for inbound mail and Host headers.

Lookups hit the store's `DomainIndex` once per domain per `ttl_s`; answers (including
"nobody owns it") are cached, up to `max_entries`, least recently used dropped first.
`invalidate(domain)` is called by `WorkspaceService` on every claim, release and workspace
deletion in this process; the TTL bounds staleness when another process made the change.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from tenancy.errors import InvalidInputError
from tenancy.store import DomainIndex
from tenancy.workspaces.names import normalize_domain

__all__ = ["DomainResolver"]


class DomainResolver:
    """`await resolve(domain)` -> owning workspace id, or None."""

    def __init__(
        self,
        index: DomainIndex,
        *,
        ttl_s: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._index = index
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[str | None, float]] = OrderedDict()
        self.lookups = 0

    async def resolve(self, domain: str) -> str | None:
        """The workspace id owning `domain` (any case, optional trailing dot), or None."""
        try:
            name = normalize_domain(domain)
        except InvalidInputError:
            return None
        now = self._clock()
        hit = self._cache.get(name)
        if hit is not None and hit[1] > now:
            self._cache.move_to_end(name)
            return hit[0]
        self.lookups += 1
        record = await self._index.resolve(name)
        owner = record.workspace_id if record is not None else None
        self._cache[name] = (owner, now + self._ttl_s)
        self._cache.move_to_end(name)
        while len(self._cache) > self._max_entries:
            self._cache.popitem(last=False)
        return owner

    def invalidate(self, domain: str) -> None:
        """Forget the cached answer for `domain` (already normalised)."""
        self._cache.pop(domain, None)

    def __len__(self) -> int:
        return len(self._cache)
