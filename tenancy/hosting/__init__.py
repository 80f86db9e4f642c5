"""Hosting brains for tenants: the brain host, workspace actors, quotas, brain persistence.

``BrainHost`` is what the HTTP, websocket and FEAGI layers call. Its errors form one
`HostError` hierarchy whose classes are also `tenancy.errors` classes (404/403/422/409).
"""

from tenancy.hosting.errors import (
    BrainBusy,
    BrainNotFound,
    HostError,
    InvalidCommand,
    InvalidGenome,
    QuotaExceeded,
)
from tenancy.hosting.host import (
    BRAIN_KIND,
    COMMANDS,
    EDIT_COMMANDS,
    BrainHost,
    BrainInfo,
    HostConfig,
)
from tenancy.hosting.quotas import QuotaPolicy, Quotas
from tenancy.hosting.state import StoreBrainState
from tenancy.hosting.workspace import TenantManager, WorkspaceActor

__all__ = [
    "BRAIN_KIND",
    "COMMANDS",
    "EDIT_COMMANDS",
    "BrainBusy",
    "BrainHost",
    "BrainInfo",
    "BrainNotFound",
    "HostConfig",
    "HostError",
    "InvalidCommand",
    "InvalidGenome",
    "QuotaExceeded",
    "QuotaPolicy",
    "Quotas",
    "StoreBrainState",
    "TenantManager",
    "WorkspaceActor",
]
