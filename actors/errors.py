"""The exception hierarchy of the actor runtime: everything raised on purpose is an ActorError.

Naming follows anyio's memory object streams: *closed* means you closed this end yourself,
*broken* means the other end is gone, *full*/*empty* are the would-block conditions of the
``_nowait`` calls.
"""

from __future__ import annotations

__all__ = [
    "ActorError",
    "ActorStoppedError",
    "AskTimeoutError",
    "EventHubError",
    "MailboxBrokenError",
    "MailboxClosedError",
    "MailboxEmptyError",
    "MailboxError",
    "MailboxFullError",
    "RegistryError",
    "SubscriberDisconnectedError",
    "SubscriptionClosedError",
    "SubscriptionEmptyError",
    "SupervisorError",
    "SupervisorEscalationError",
    "UnknownActorKindError",
]


class ActorError(Exception):
    """Base class of every error the actor runtime raises on purpose."""


class MailboxError(ActorError):
    """A mailbox operation could not be performed."""


class MailboxFullError(MailboxError):
    """``send_nowait``/``tell_nowait`` found the bounded mailbox full (would block).

    Await ``send``/``tell`` instead to wait for space, or give the mailbox a larger capacity.
    """


class MailboxEmptyError(MailboxError):
    """``receive_nowait`` found nothing queued (would block)."""


class MailboxClosedError(MailboxError):
    """The receiving side used a mailbox after closing it itself."""


class MailboxBrokenError(MailboxError):
    """The receiving side is gone: the mailbox no longer accepts messages."""


class ActorStoppedError(MailboxBrokenError):
    """The actor is stopped: it no longer accepts messages, or it stopped before answering."""


class AskTimeoutError(ActorError, TimeoutError):
    """An ``ask`` got no reply within its timeout (the request was withdrawn if still queued)."""


class SupervisorError(ActorError):
    """A supervisor could not do what was asked (for example it is not running)."""


class SupervisorEscalationError(SupervisorError):
    """A supervisor exceeded its restart intensity, stopped its children and failed itself.

    The failure of the child that tipped it over is the ``__cause__``.
    """


class RegistryError(ActorError):
    """The virtual-actor registry could not do what was asked."""


class UnknownActorKindError(RegistryError, LookupError):
    """``Registry.get`` was called with a kind that was never registered."""


class EventHubError(ActorError):
    """Base class of event hub errors."""


class SubscriptionEmptyError(EventHubError):
    """``Subscription.receive_nowait`` found nothing queued (would block)."""


class SubscriptionClosedError(EventHubError):
    """The subscription was closed by its owner or by the hub shutting down."""


class SubscriberDisconnectedError(SubscriptionClosedError):
    """The hub dropped this subscriber because its bounded queue overflowed (too slow).

    Resubscribe with ``since_seq`` (exact topic) or ``since_hub_seq`` (prefix) set to the
    last number seen to resume.
    """
