"""Topic broadcast: encode once, fan the same bytes out to bounded per-subscriber queues.

* ``publish(topic, event)`` serializes ``event`` once (orjson) and appends one shared
  :class:`Event` tuple to every matching subscriber's queue; the publisher never awaits.
* Subscriptions are to an exact topic or to a prefix (``workspace:42/``).
* Each subscriber queue is bounded. On overflow, ``Overflow.DROP_OLDEST`` discards the oldest
  queued event and the subscriber next receives a :class:`Missed` marker with the count;
  ``Overflow.DISCONNECT`` drops the subscriber, which then gets
  :class:`SubscriberDisconnectedError` after what was already queued.
* Every topic keeps a ring of its most recent events with per-topic sequence numbers that
  only grow (``Event.seq``); every event also has a hub-wide number (``Event.hub_seq``).
  ``subscribe(topic, since_seq=n)`` replays the retained events of that topic after ``n``;
  ``subscribe(prefix, prefix=True, since_hub_seq=n)`` replays the retained events of every
  matching topic after hub position ``n``, in publication order. ``Subscription.resumed``
  says whether nothing was lost (an exact-topic gap of known size is also reported with a
  :class:`Missed` marker); if it is False, fetch a full snapshot.
* A consumer is either a task awaiting ``receive()`` or, to serve many subscriptions without
  a task wake each, a ready callback (``Subscription.set_ready_callback``) that the publisher
  calls when the subscription has something to take; the consumer then takes it all with
  ``receive_many_nowait()``.
"""

from __future__ import annotations

import asyncio
import enum
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from types import TracebackType
from typing import Any, NamedTuple

import orjson

from actors.errors import (
    EventHubError,
    SubscriberDisconnectedError,
    SubscriptionClosedError,
    SubscriptionEmptyError,
)

__all__ = [
    "Event",
    "EventHub",
    "EventHubStatistics",
    "Missed",
    "Overflow",
    "Subscription",
    "SubscriptionStatistics",
]


class Overflow(enum.Enum):
    """What happens when a subscriber's queue is full and another event arrives."""

    DROP_OLDEST = "drop_oldest"
    DISCONNECT = "disconnect"


class Event(NamedTuple):
    """One published event, shared (not copied) by every subscriber that receives it.

    ``seq`` numbers the events of one topic; ``hub_seq`` numbers every event of the hub, so
    a prefix subscription (many topics) can resume from one number.
    """

    topic: str
    seq: int
    data: bytes
    hub_seq: int


@dataclass(frozen=True, slots=True)
class Missed:
    """``count`` events that this subscriber will never receive (overflow or replay gap)."""

    count: int


@dataclass(frozen=True, slots=True)
class SubscriptionStatistics:
    """A snapshot of one subscription."""

    topic: str
    prefix: bool
    queued: int
    max_queued: int
    lost_total: int
    closed: bool


@dataclass(frozen=True, slots=True)
class EventHubStatistics:
    """Hub totals since it was created."""

    topics: int
    subscribers: int
    published_total: int
    delivered_total: int
    dropped_total: int
    disconnected_total: int


class _Stream:
    __slots__ = ("evicted_hub_seq", "last_hub_seq", "last_seq", "ring")

    def __init__(self, first_seq: int, history: int) -> None:
        self.last_seq = first_seq - 1
        self.last_hub_seq = 0
        self.evicted_hub_seq = 0  # hub_seq of the newest event pushed out of the ring
        self.ring: deque[Event] = deque(maxlen=history)


class Subscription:
    """A bounded queue of events for one consumer. Use as an async iterator or ``receive()``."""

    __slots__ = (
        "_closed_by_owner",
        "_disconnected",
        "_drop_oldest",
        "_hub",
        "_lost",
        "_maxsize",
        "_on_ready",
        "_queue",
        "_waiter",
        "lost_total",
        "prefix",
        "resumed",
        "topic",
    )

    def __init__(
        self, hub: EventHub, topic: str, prefix: bool, maxsize: int, overflow: Overflow
    ) -> None:
        self._hub: EventHub | None = hub
        self.topic = topic
        self.prefix = prefix
        self._maxsize = maxsize
        self._drop_oldest = overflow is Overflow.DROP_OLDEST
        self._queue: deque[Event] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._on_ready: Callable[[], None] | None = None
        self._lost = 0
        self.lost_total = 0
        self._closed_by_owner = False
        self._disconnected: SubscriptionClosedError | None = None
        #: ``None`` without ``since_seq``; else whether every event after it was replayed.
        self.resumed: bool | None = None

    @property
    def closed(self) -> bool:
        return self._closed_by_owner or self._disconnected is not None

    def statistics(self) -> SubscriptionStatistics:
        """Queue depth and events lost so far."""
        return SubscriptionStatistics(
            topic=self.topic,
            prefix=self.prefix,
            queued=len(self._queue),
            max_queued=self._maxsize,
            lost_total=self.lost_total,
            closed=self.closed,
        )

    def receive_nowait(self) -> Event | Missed:
        """The next event (or a :class:`Missed` marker); :class:`SubscriptionEmptyError` if none."""
        if self._closed_by_owner:
            raise SubscriptionClosedError(f"subscription to {self.topic!r} was closed by its owner")
        if self._lost:
            lost, self._lost = self._lost, 0
            return Missed(lost)
        if self._queue:
            return self._queue.popleft()
        if self._disconnected is not None:
            raise self._disconnected
        raise SubscriptionEmptyError(f"no event queued for subscription to {self.topic!r}")

    async def receive(self) -> Event | Missed:
        """Wait for the next event (or :class:`Missed` marker)."""
        while True:
            if self._queue or self._lost or self.closed:
                return self.receive_nowait()
            if self._waiter is not None:
                raise RuntimeError(f"another task is already receiving from {self.topic!r}")
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiter = waiter
            try:
                await waiter
            finally:
                if self._waiter is waiter:
                    self._waiter = None

    def receive_many_nowait(self, limit: int | None = None) -> list[Event | Missed]:
        """Everything queued (at most ``limit`` items), a :class:`Missed` marker first; ``[]``
        if nothing is. Raises like ``receive_nowait`` once the subscription has ended."""
        if self._closed_by_owner:
            raise SubscriptionClosedError(f"subscription to {self.topic!r} was closed by its owner")
        if not (self._queue or self._lost):
            if self._disconnected is not None:
                raise self._disconnected
            return []
        batch: list[Event | Missed] = []
        if self._lost:
            batch.append(Missed(self._lost))
            self._lost = 0
        queue = self._queue
        if limit is None or len(queue) <= limit - len(batch):
            batch += queue
            queue.clear()
        else:
            while queue and len(batch) < limit:
                batch.append(queue.popleft())
        return batch

    def set_ready_callback(self, callback: Callable[[], None] | None) -> None:
        """Have ``callback()`` called when this subscription gets something to take after it
        had nothing (an event, a :class:`Missed` marker) or when it ends; ``None`` stops that.

        For a consumer that serves many subscriptions without a task each: the publisher
        calls ``callback`` synchronously from ``publish``, so it must only note the work
        (e.g. schedule a flush), never block, raise or publish. After a call, take
        everything with ``receive_many_nowait()``: no further call comes while items remain
        queued. Called at once if something is already queued. Not for use together with
        ``receive()``.
        """
        self._on_ready = callback
        if callback is not None and (self._queue or self._lost or self.closed):
            callback()

    async def receive_many(self, limit: int = 256) -> list[Event | Missed]:
        """Wait for at least one item, then take up to ``limit`` already queued ones."""
        first = await self.receive()
        batch: list[Event | Missed] = [first]
        queue = self._queue
        while queue and len(batch) < limit:
            batch.append(queue.popleft())
        return batch

    def close(self) -> None:
        """Stop receiving; queued events are discarded. Idempotent."""
        if self._closed_by_owner:
            return
        self._closed_by_owner = True
        self._queue.clear()
        if self._hub is not None:
            self._hub._remove(self)
            self._hub = None
        self._wake()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event | Missed:
        """Ends when the subscription or hub is closed; raises if disconnected for slowness."""
        try:
            return await self.receive()
        except SubscriberDisconnectedError:
            raise
        except SubscriptionClosedError:
            raise StopAsyncIteration from None

    def _end(self, error: SubscriptionClosedError) -> None:
        self._disconnected = error
        self._hub = None
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        on_ready = self._on_ready
        if on_ready is not None:
            on_ready()


_Subscribers = dict[Subscription, None]


def _hub_seq(event: Event) -> int:
    return event.hub_seq


class EventHub:
    """In-process publish/subscribe with per-topic history; one instance per actor system."""

    def __init__(
        self,
        *,
        history: int = 128,
        queue_size: int = 1024,
        max_topics: int = 10_000,
        max_subscribers: int = 100_000,
        max_event_bytes: int = 1 << 20,
        encoder: Callable[[Any], bytes] = orjson.dumps,
    ) -> None:
        """``history`` events are kept per topic for resuming, for at most ``max_topics``
        topics (the least recently published is forgotten first)."""
        if (
            history < 0
            or queue_size < 1
            or max_topics < 1
            or max_subscribers < 1
            or max_event_bytes < 1
        ):
            raise ValueError(
                "EventHub needs history >= 0, queue_size >= 1, max_topics >= 1, "
                "max_subscribers >= 1 and max_event_bytes >= 1"
            )
        self.max_event_bytes = max_event_bytes
        self.history = history
        self.queue_size = queue_size
        self.max_topics = max_topics
        self.max_subscribers = max_subscribers
        self._encode = encoder
        #: Changes every time a hub is created: sequence numbers from another epoch (e.g.
        #: before a process restart) cannot be resumed.
        self.epoch = uuid.uuid4().hex
        self._streams: OrderedDict[str, _Stream] = OrderedDict()
        self._evicted_max_seq = 0
        self._evicted_hub_seq = 0
        self._exact: dict[str, _Subscribers] = {}
        self._prefixes: dict[str, _Subscribers] = {}
        self._subscriber_count = 0
        self._published = 0
        self._delivered = 0
        self._dropped = 0
        self._disconnected = 0
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def statistics(self) -> EventHubStatistics:
        """Totals for metrics: topics, subscribers, published, delivered, dropped."""
        return EventHubStatistics(
            topics=len(self._streams),
            subscribers=self._subscriber_count,
            published_total=self._published,
            delivered_total=self._delivered,
            dropped_total=self._dropped,
            disconnected_total=self._disconnected,
        )

    def last_seq(self, topic: str) -> int:
        """The sequence number of the latest event on ``topic`` (0 if none is retained)."""
        stream = self._streams.get(topic)
        return 0 if stream is None else stream.last_seq

    def has_subscribers(self, topic: str) -> bool:
        """Whether publishing on ``topic`` now would reach anyone (an exact or a prefix
        subscription): lets a publisher skip building events nobody receives."""
        if self._exact.get(topic):
            return True
        prefixes = self._prefixes
        if not prefixes:
            return False
        if len(prefixes) <= len(topic):
            return any(topic.startswith(prefix) for prefix in prefixes)
        return any(topic[:end] in prefixes for end in range(1, len(topic) + 1))

    def recent(self, topic: str) -> list[Event]:
        """The events of ``topic`` still held in its ring, oldest first."""
        stream = self._streams.get(topic)
        return [] if stream is None else list(stream.ring)

    # -- publishing -----------------------------------------------------------------------

    def publish(self, topic: str, event: Any) -> Event:
        """Serialize ``event`` once and deliver it to every matching subscriber."""
        return self.publish_bytes(topic, self._encode(event))

    def publish_bytes(self, topic: str, data: bytes) -> Event:
        """Deliver already-serialized ``data``."""
        if self._closed:
            raise EventHubError("the event hub is closed; nothing can be published any more")
        if len(data) > self.max_event_bytes:
            raise EventHubError(
                f"event for topic {topic!r} is {len(data)} bytes, over max_event_bytes="
                f"{self.max_event_bytes}; publish a reference to large data instead"
            )
        stream = self._streams.get(topic)
        if stream is None:
            stream = self._new_stream(topic)
        else:
            self._streams.move_to_end(topic)
        seq = stream.last_seq + 1
        stream.last_seq = seq
        hub_seq = self._published + 1
        self._published = hub_seq
        stream.last_hub_seq = hub_seq
        event = Event(topic, seq, data, hub_seq)
        ring = stream.ring
        if len(ring) == self.history:
            stream.evicted_hub_seq = ring[0].hub_seq if ring else hub_seq
        ring.append(event)
        subscribers = self._exact.get(topic)
        if subscribers:
            self._fan_out(subscribers, event)
        if self._prefixes:
            prefixes = self._prefixes
            if len(prefixes) <= len(topic):
                for prefix, subscribers in list(prefixes.items()):
                    if topic.startswith(prefix):
                        self._fan_out(subscribers, event)
            else:
                for end in range(1, len(topic) + 1):
                    subscribers = prefixes.get(topic[:end])
                    if subscribers:
                        self._fan_out(subscribers, event)
        return event

    def _fan_out(self, subscribers: _Subscribers, event: Event) -> None:
        # The hot loop: no allocation per delivery, one append per subscriber.
        overflowed: list[Subscription] | None = None
        for sub in subscribers:
            queue = sub._queue
            if len(queue) >= sub._maxsize:
                if sub._drop_oldest:
                    queue.popleft()
                    sub._lost += 1
                    sub.lost_total += 1
                    self._dropped += 1
                else:
                    if overflowed is None:
                        overflowed = []
                    overflowed.append(sub)
                    continue
            queue.append(event)
            waiter = sub._waiter
            if waiter is not None:
                sub._waiter = None
                if not waiter.done():
                    waiter.set_result(None)
            elif len(queue) == 1 and sub._on_ready is not None:
                # Only on the first event after the consumer took everything: it is
                # already due to take the ones that follow.
                sub._on_ready()
        delivered = len(subscribers)
        if overflowed is not None:
            delivered -= len(overflowed)
            for sub in overflowed:
                self._remove(sub)
                self._disconnected += 1
                sub._end(
                    SubscriberDisconnectedError(
                        f"subscriber to {sub.topic!r} was disconnected: its queue of "
                        f"{sub._maxsize} events overflowed (it reads too slowly); last event "
                        f"queued for it was {event.topic!r} seq {event.seq - 1}"
                    )
                )
        self._delivered += delivered

    def _new_stream(self, topic: str) -> _Stream:
        if len(self._streams) >= self.max_topics:
            _, evicted = self._streams.popitem(last=False)
            self._evicted_max_seq = max(self._evicted_max_seq, evicted.last_seq)
            self._evicted_hub_seq = max(self._evicted_hub_seq, evicted.last_hub_seq)
        # Starting above every evicted stream's numbers keeps a topic's sequence growing
        # even when its history was evicted and it comes back.
        stream = _Stream(self._evicted_max_seq + 1, self.history)
        self._streams[topic] = stream
        return stream

    # -- subscribing ----------------------------------------------------------------------

    def subscribe(
        self,
        topic: str,
        *,
        prefix: bool = False,
        since_seq: int | None = None,
        since_hub_seq: int | None = None,
        epoch: str | None = None,
        queue_size: int | None = None,
        overflow: Overflow = Overflow.DROP_OLDEST,
    ) -> Subscription:
        """Subscribe to ``topic`` (or every topic starting with it when ``prefix``).

        To resume after a reconnect, an exact-topic subscription passes ``since_seq`` (the
        last ``Event.seq`` seen) and a prefix subscription ``since_hub_seq`` (the last
        ``Event.hub_seq`` seen, or :meth:`position` when it first subscribed); retained newer
        events are queued first, in publication order. Pass the hub ``epoch`` they came
        from to detect a hub restart. ``Subscription.resumed`` then says whether the replay is
        complete; if not, fetch a full snapshot.
        """
        if self._closed:
            raise EventHubError("the event hub is closed; no new subscriptions")
        if not topic:
            raise ValueError("subscription topic must be a non-empty string")
        if since_seq is not None and prefix:
            raise ValueError(
                "since_seq needs an exact topic (sequence numbers are per topic); a prefix "
                "subscription resumes with since_hub_seq"
            )
        if since_hub_seq is not None and not prefix:
            raise ValueError("since_hub_seq is for prefix subscriptions; use since_seq")
        for name, value in (("since_seq", since_seq), ("since_hub_seq", since_hub_seq)):
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        maxsize = self.queue_size if queue_size is None else queue_size
        if maxsize < 1:
            raise ValueError(f"queue_size must be >= 1, got {maxsize}")
        if self._subscriber_count >= self.max_subscribers:
            raise EventHubError(
                f"the event hub already has {self._subscriber_count} subscribers "
                f"(max_subscribers={self.max_subscribers}); close unused subscriptions"
            )
        sub = Subscription(self, topic, prefix, maxsize, overflow)
        if since_seq is not None:
            self._replay(sub, since_seq, epoch)
        elif since_hub_seq is not None:
            self._replay_prefix(sub, since_hub_seq, epoch)
        table = self._prefixes if prefix else self._exact
        table.setdefault(topic, {})[sub] = None
        self._subscriber_count += 1
        return sub

    def _replay(self, sub: Subscription, since_seq: int, epoch: str | None) -> None:
        stream = self._streams.get(sub.topic)
        if epoch is not None and epoch != self.epoch:
            sub.resumed = False
            return
        if stream is None:
            sub.resumed = since_seq == 0 and self._evicted_max_seq == 0
            return
        if since_seq > stream.last_seq:
            sub.resumed = False  # numbers from another hub: nothing to compare with
            return
        ring = stream.ring
        first_available = ring[0].seq if ring else stream.last_seq + 1
        gap = first_available - since_seq - 1
        sub.resumed = gap <= 0
        if gap > 0:
            sub._lost = gap
            sub.lost_total += gap
        start = max(0, since_seq + 1 - first_available)
        for event in islice(ring, start, None):
            if len(sub._queue) >= sub._maxsize:
                sub._queue.popleft()
                sub._lost += 1
                sub.lost_total += 1
            sub._queue.append(event)

    def _replay_prefix(self, sub: Subscription, since_hub_seq: int, epoch: str | None) -> None:
        if (epoch is not None and epoch != self.epoch) or since_hub_seq > self._published:
            sub.resumed = False
            return
        complete = self._evicted_hub_seq <= since_hub_seq
        missed: list[Event] = []
        for topic, stream in self._streams.items():
            if not topic.startswith(sub.topic) or stream.last_hub_seq <= since_hub_seq:
                continue
            if stream.evicted_hub_seq > since_hub_seq:
                complete = False
            for event in reversed(stream.ring):
                if event.hub_seq <= since_hub_seq:
                    break
                missed.append(event)
        missed.sort(key=_hub_seq)
        sub.resumed = complete
        queue = sub._queue
        for event in missed:
            if len(queue) >= sub._maxsize:
                queue.popleft()
                sub._lost += 1
                sub.lost_total += 1
            queue.append(event)

    def position(self) -> int:
        """The ``hub_seq`` of the latest event: where a prefix subscription taken now starts."""
        return self._published

    def _remove(self, sub: Subscription) -> None:
        table = self._prefixes if sub.prefix else self._exact
        subscribers = table.get(sub.topic)
        if subscribers is not None and subscribers.pop(sub, False) is None:
            self._subscriber_count -= 1
            if not subscribers:
                del table[sub.topic]

    def close(self) -> None:
        """End every subscription (each drains what it has queued first). Idempotent."""
        if self._closed:
            return
        self._closed = True
        for table in (self._exact, self._prefixes):
            for subscribers in table.values():
                for sub in subscribers:
                    sub._end(SubscriptionClosedError("the event hub was closed"))
            table.clear()
        self._subscriber_count = 0
