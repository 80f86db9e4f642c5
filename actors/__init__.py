"""A small generic actor runtime on asyncio (imports nothing else of brainhost).

* :class:`Actor` / :class:`ActorRef`: one task per actor, bounded :class:`Mailbox`,
  ``tell`` (backpressure), ``tell_nowait``, ``ask`` with timeout.
* :class:`Supervisor`: OTP strategies, restart types, intensity, back-off, nesting.
* :class:`EventHub`: encode-once topic fan-out with bounded subscribers and resumable history.
* :class:`Registry`: virtual actors activated on demand and passivated when idle.
* :class:`ActorSystem`: the root that ties them together for an application.
"""

from actors.actor import (
    DEFAULT_ASK_TIMEOUT,
    DEFAULT_MAILBOX_SIZE,
    Actor,
    ActorRef,
    ActorState,
    ActorStatistics,
)
from actors.clock import Clock, FakeClock, SystemClock
from actors.errors import (
    ActorError,
    ActorStoppedError,
    AskTimeoutError,
    EventHubError,
    MailboxBrokenError,
    MailboxClosedError,
    MailboxEmptyError,
    MailboxError,
    MailboxFullError,
    RegistryError,
    SubscriberDisconnectedError,
    SubscriptionClosedError,
    SubscriptionEmptyError,
    SupervisorError,
    SupervisorEscalationError,
    UnknownActorKindError,
)
from actors.event_hub import (
    Event,
    EventHub,
    EventHubStatistics,
    Missed,
    Overflow,
    Subscription,
    SubscriptionStatistics,
)
from actors.mailbox import Mailbox, MailboxStatistics
from actors.registry import ActorKind, Registry, RegistryStatistics, VirtualRef
from actors.supervisor import (
    SUPERVISION_TOPIC,
    Backoff,
    ChildInfo,
    ChildSpec,
    Restart,
    Strategy,
    SupervisionEvent,
    Supervisor,
    SupervisorSpec,
    SupervisorStatistics,
)
from actors.system import ActorSystem, SystemStatistics

__all__ = [
    "DEFAULT_ASK_TIMEOUT",
    "DEFAULT_MAILBOX_SIZE",
    "SUPERVISION_TOPIC",
    "Actor",
    "ActorError",
    "ActorKind",
    "ActorRef",
    "ActorState",
    "ActorStatistics",
    "ActorStoppedError",
    "ActorSystem",
    "AskTimeoutError",
    "Backoff",
    "ChildInfo",
    "ChildSpec",
    "Clock",
    "Event",
    "EventHub",
    "EventHubError",
    "EventHubStatistics",
    "FakeClock",
    "Mailbox",
    "MailboxBrokenError",
    "MailboxClosedError",
    "MailboxEmptyError",
    "MailboxError",
    "MailboxFullError",
    "MailboxStatistics",
    "Missed",
    "Overflow",
    "Registry",
    "RegistryError",
    "RegistryStatistics",
    "Restart",
    "Strategy",
    "SubscriberDisconnectedError",
    "Subscription",
    "SubscriptionClosedError",
    "SubscriptionEmptyError",
    "SubscriptionStatistics",
    "SupervisionEvent",
    "Supervisor",
    "SupervisorError",
    "SupervisorEscalationError",
    "SupervisorSpec",
    "SupervisorStatistics",
    "SystemClock",
    "SystemStatistics",
    "UnknownActorKindError",
    "VirtualRef",
]
