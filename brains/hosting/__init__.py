"""Hosting brains as actors: the brain actor, the shared tick scheduler, the storage port.

Nothing here knows about workspaces or storage engines: persistence goes through
:class:`BrainStatePort`, implemented by ``tenancy.hosting``.
"""

from brains.hosting.actor import (
    BrainActor,
    BrainCommandError,
    BrainStatus,
    Call,
    Checkpoint,
    Control,
    Forget,
    Rename,
    ReplaceGenome,
    SetFrequency,
    SizeBudget,
    SizeBudgetExceeded,
    Status,
    Step,
)
from brains.hosting.ports import BrainStatePort, RunState, SavedBrain, StoredBrain
from brains.hosting.scheduler import (
    BurstReport,
    SchedulerStatistics,
    TickMember,
    TickScheduler,
    burst_report,
)

__all__ = [
    "BrainActor",
    "BrainCommandError",
    "BrainStatePort",
    "BrainStatus",
    "BurstReport",
    "Call",
    "Checkpoint",
    "Control",
    "Forget",
    "Rename",
    "ReplaceGenome",
    "RunState",
    "SavedBrain",
    "SchedulerStatistics",
    "SetFrequency",
    "SizeBudget",
    "SizeBudgetExceeded",
    "Status",
    "Step",
    "StoredBrain",
    "TickMember",
    "TickScheduler",
    "burst_report",
]
