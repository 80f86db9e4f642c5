"""EventHub: encode once, bounded subscribers, overflow policies, prefixes, resume."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import orjson
import pytest
from actors_support import wait_until

from actors import (
    Event,
    EventHub,
    EventHubError,
    Missed,
    Overflow,
    SubscriberDisconnectedError,
    SubscriptionClosedError,
    SubscriptionEmptyError,
)


def drain(subscription: Any) -> list[Event | Missed]:
    items: list[Event | Missed] = []
    while True:
        try:
            items.append(subscription.receive_nowait())
        except SubscriptionEmptyError:
            return items


def seqs(items: list[Event | Missed]) -> list[int | str]:
    return [item.seq if isinstance(item, Event) else f"missed {item.count}" for item in items]


def test_an_event_is_serialized_once_and_the_same_bytes_reach_every_subscriber() -> None:
    calls: list[Any] = []

    def encoder(value: Any) -> bytes:
        calls.append(value)
        return orjson.dumps(value)

    hub = EventHub(encoder=encoder)
    subscriptions = [hub.subscribe("t") for _ in range(3)]
    subscriptions.append(hub.subscribe("t", prefix=True))
    hub.publish("t", {"spikes": [1, 2]})
    received = [sub.receive_nowait() for sub in subscriptions]
    assert len(calls) == 1
    assert all(item is received[0] for item in received)
    assert isinstance(received[0], Event)
    assert orjson.loads(received[0].data) == {"spikes": [1, 2]}


def test_publish_is_a_plain_call_that_never_waits_on_subscribers() -> None:
    hub = EventHub(queue_size=1)
    hub.subscribe("t")  # never read
    assert not inspect.iscoroutinefunction(hub.publish)
    for n in range(10):
        hub.publish("t", n)
    assert hub.statistics().published_total == 10


def test_exact_subscriptions_only_get_their_topic() -> None:
    hub = EventHub()
    sub = hub.subscribe("a")
    hub.publish("b", 1)
    hub.publish("a", 2)
    assert [orjson.loads(e.data) for e in drain(sub) if isinstance(e, Event)] == [2]


@pytest.mark.parametrize("other_prefixes", [0, 100], ids=["few-prefixes", "many-prefixes"])
def test_prefix_subscriptions_get_every_topic_under_the_prefix(other_prefixes: int) -> None:
    hub = EventHub()
    for n in range(other_prefixes):
        hub.subscribe(f"other:{n}/", prefix=True)
    sub = hub.subscribe("workspace:7/", prefix=True)
    hub.publish("workspace:7/brain:1", 1)
    hub.publish("workspace:70/brain:1", 2)
    hub.publish("workspace:7/mail", 3)
    assert [e.topic for e in drain(sub) if isinstance(e, Event)] == [
        "workspace:7/brain:1",
        "workspace:7/mail",
    ]


def test_sequence_numbers_grow_by_one_per_topic() -> None:
    hub = EventHub()
    assert [hub.publish("a", n).seq for n in range(3)] == [1, 2, 3]
    assert hub.publish("b", 0).seq == 1
    assert hub.last_seq("a") == 3
    assert hub.last_seq("never") == 0


def test_a_slow_subscriber_loses_its_oldest_events_and_is_told_how_many() -> None:
    hub = EventHub()
    sub = hub.subscribe("t", queue_size=3, overflow=Overflow.DROP_OLDEST)
    for n in range(5):
        hub.publish("t", n)
    assert seqs(drain(sub)) == ["missed 2", 3, 4, 5]
    assert sub.lost_total == 2
    assert hub.statistics().dropped_total == 2


def test_a_slow_subscriber_with_the_disconnect_policy_is_dropped() -> None:
    hub = EventHub()
    slow = hub.subscribe("t", queue_size=2, overflow=Overflow.DISCONNECT)
    fast = hub.subscribe("t", queue_size=10)
    for n in range(3):
        hub.publish("t", n)
    assert seqs([slow.receive_nowait(), slow.receive_nowait()]) == [1, 2]
    with pytest.raises(SubscriberDisconnectedError, match="overflowed"):
        slow.receive_nowait()
    assert seqs(drain(fast)) == [1, 2, 3]
    stats = hub.statistics()
    assert (stats.subscribers, stats.disconnected_total) == (1, 1)


async def test_a_disconnected_subscriber_ends_iteration_with_an_error() -> None:
    hub = EventHub()
    slow = hub.subscribe("t", queue_size=1, overflow=Overflow.DISCONNECT)
    hub.publish("t", 1)
    hub.publish("t", 2)
    got = []
    with pytest.raises(SubscriberDisconnectedError):
        async for item in slow:
            got.append(item)
    assert seqs(got) == [1]


async def test_receive_waits_for_the_next_publish() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    waiting = asyncio.create_task(sub.receive())
    await wait_until(lambda: sub._waiter is not None)
    hub.publish("t", "hello")
    event = await waiting
    assert isinstance(event, Event) and event.data == b'"hello"'


async def test_receive_many_returns_what_is_queued_up_to_the_limit() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    for n in range(5):
        hub.publish("t", n)
    assert seqs(await sub.receive_many(limit=3)) == [1, 2, 3]
    assert seqs(await sub.receive_many()) == [4, 5]


def test_receive_many_nowait_takes_everything_queued_with_the_loss_marker_first() -> None:
    hub = EventHub()
    sub = hub.subscribe("t", queue_size=3)
    assert sub.receive_many_nowait() == []
    for n in range(5):
        hub.publish("t", n)
    assert seqs(sub.receive_many_nowait(limit=2)) == ["missed 2", 3]
    assert seqs(sub.receive_many_nowait()) == [4, 5]
    assert sub.receive_many_nowait() == []


def test_receive_many_nowait_raises_once_the_subscription_has_ended() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    hub.publish("t", 1)
    hub.close()
    assert seqs(sub.receive_many_nowait()) == [1], "what was queued comes first"
    with pytest.raises(SubscriptionClosedError):
        sub.receive_many_nowait()


def test_a_ready_callback_is_called_when_a_subscription_gets_something_after_nothing() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    calls: list[int] = []
    sub.set_ready_callback(lambda: calls.append(len(calls)))
    hub.publish("t", 1)
    hub.publish("t", 2)  # still queued: the consumer is already due
    assert len(calls) == 1
    assert seqs(sub.receive_many_nowait()) == [1, 2]
    hub.publish("t", 3)
    assert len(calls) == 2


def test_a_ready_callback_is_called_at_once_for_events_already_queued() -> None:
    hub = EventHub(history=10)
    hub.publish("t", 1)
    sub = hub.subscribe("t", since_seq=0)
    calls: list[None] = []
    sub.set_ready_callback(lambda: calls.append(None))
    assert len(calls) == 1


def test_a_ready_callback_is_called_when_the_subscription_ends() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    calls: list[None] = []
    sub.set_ready_callback(lambda: calls.append(None))
    hub.close()
    assert len(calls) == 1 and sub.closed


def test_a_ready_callback_set_to_none_is_no_longer_called() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    calls: list[None] = []
    sub.set_ready_callback(lambda: calls.append(None))
    sub.set_ready_callback(None)
    hub.publish("t", 1)
    assert calls == [] and seqs(sub.receive_many_nowait()) == [1]


@pytest.mark.parametrize("other_prefixes", [0, 100], ids=["few-prefixes", "many-prefixes"])
def test_has_subscribers_sees_exact_and_prefix_subscriptions(other_prefixes: int) -> None:
    hub = EventHub()
    for n in range(other_prefixes):
        hub.subscribe(f"other:{n}/", prefix=True)
    assert not hub.has_subscribers("brain:1")
    exact = hub.subscribe("brain:1")
    assert hub.has_subscribers("brain:1") and not hub.has_subscribers("brain:2")
    exact.close()
    assert not hub.has_subscribers("brain:1")
    hub.subscribe("brain:", prefix=True)
    assert hub.has_subscribers("brain:1") and hub.has_subscribers("brain:2")
    assert not hub.has_subscribers("workspace:1")


def test_resume_replays_retained_events_after_the_given_sequence() -> None:
    hub = EventHub(history=10)
    for n in range(5):
        hub.publish("t", n)
    sub = hub.subscribe("t", since_seq=3, epoch=hub.epoch)
    assert sub.resumed is True
    hub.publish("t", 5)
    assert seqs(drain(sub)) == [4, 5, 6]


def test_resume_from_the_latest_sequence_replays_nothing_and_succeeds() -> None:
    hub = EventHub()
    hub.publish("t", 0)
    sub = hub.subscribe("t", since_seq=1)
    assert sub.resumed is True
    assert drain(sub) == []


def test_resume_beyond_the_ring_reports_the_gap() -> None:
    hub = EventHub(history=3)
    for n in range(10):
        hub.publish("t", n)
    sub = hub.subscribe("t", since_seq=2)
    assert sub.resumed is False
    assert seqs(drain(sub)) == ["missed 5", 8, 9, 10]


def test_resume_from_another_hub_epoch_is_refused() -> None:
    hub = EventHub()
    hub.publish("t", 0)
    sub = hub.subscribe("t", since_seq=0, epoch="an-older-process")
    assert sub.resumed is False
    assert drain(sub) == []


def test_resume_from_a_sequence_the_hub_never_issued_is_refused() -> None:
    hub = EventHub()
    hub.publish("t", 0)
    assert hub.subscribe("t", since_seq=99).resumed is False


def test_a_topic_evicted_by_the_topic_limit_keeps_growing_sequence_numbers() -> None:
    hub = EventHub(max_topics=2)
    for n in range(3):
        hub.publish("a", n)
    for n in range(6):
        hub.publish("b", n)
    hub.publish("c", 0)  # evicts "a", the least recently published
    assert hub.statistics().topics == 2
    assert hub.recent("a") == []
    hub.publish("d", 0)  # evicts "b" (up to seq 6)
    assert hub.publish("a", 3).seq == 7  # above every number handed out before
    # What happened between 3 and 7 can no longer be proven: not a resume.
    assert hub.subscribe("a", since_seq=3).resumed is False


def test_the_subscriber_limit_is_enforced() -> None:
    hub = EventHub(max_subscribers=2)
    hub.subscribe("a")
    hub.subscribe("b", prefix=True)
    with pytest.raises(EventHubError, match="max_subscribers=2"):
        hub.subscribe("c")


def test_a_closed_subscription_stops_receiving_and_frees_its_slot() -> None:
    hub = EventHub()
    with hub.subscribe("t") as sub:
        hub.publish("t", 1)
    assert hub.statistics().subscribers == 0
    with pytest.raises(SubscriptionClosedError, match="closed by its owner"):
        sub.receive_nowait()
    hub.publish("t", 2)
    assert sub.statistics().queued == 0


async def test_closing_the_hub_ends_every_subscription_after_its_queue() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    hub.publish("t", 1)
    hub.close()
    assert seqs([item async for item in sub]) == [1]
    with pytest.raises(EventHubError, match="closed"):
        hub.publish("t", 2)


def test_statistics_count_deliveries() -> None:
    hub = EventHub()
    for _ in range(3):
        hub.subscribe("t")
    hub.publish("t", 1)
    hub.publish("u", 1)
    stats = hub.statistics()
    assert (stats.topics, stats.subscribers, stats.published_total) == (2, 3, 2)
    assert stats.delivered_total == 3


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError, match="queue_size >= 1"):
        EventHub(queue_size=0)
    with pytest.raises(ValueError, match="queue_size must be >= 1"):
        EventHub().subscribe("t", queue_size=0)
    with pytest.raises(ValueError, match="non-empty"):
        EventHub().subscribe("")


def test_an_event_over_the_size_limit_is_refused_and_not_recorded() -> None:
    hub = EventHub(max_event_bytes=16)
    with pytest.raises(EventHubError, match="over max_event_bytes=16"):
        hub.publish("t", "x" * 100)
    assert hub.last_seq("t") == 0
    assert hub.publish("t", "ok").seq == 1


async def test_a_second_concurrent_reader_of_one_subscription_is_refused() -> None:
    hub = EventHub()
    sub = hub.subscribe("t")
    first = asyncio.create_task(sub.receive())
    await wait_until(lambda: sub._waiter is not None)
    with pytest.raises(RuntimeError, match="already receiving"):
        await sub.receive()
    hub.publish("t", 1)
    assert isinstance(await first, Event)


def test_every_event_gets_a_hub_wide_number() -> None:
    hub = EventHub()
    assert [hub.publish(topic, 0).hub_seq for topic in ("a", "b", "a")] == [1, 2, 3]
    assert hub.position() == 3


def test_a_prefix_subscription_resumes_in_publication_order() -> None:
    hub = EventHub(history=10)
    hub.publish("ws:1/a", "seen")
    since = hub.position()
    hub.publish("ws:1/b", "b1")
    hub.publish("ws:2/a", "other workspace")
    hub.publish("ws:1/a", "a2")
    hub.publish("ws:1/b", "b2")
    sub = hub.subscribe("ws:1/", prefix=True, since_hub_seq=since, epoch=hub.epoch)
    assert sub.resumed is True
    assert [orjson.loads(e.data) for e in drain(sub) if isinstance(e, Event)] == [
        "b1",
        "a2",
        "b2",
    ]


def test_a_prefix_subscription_taken_now_replays_nothing() -> None:
    hub = EventHub()
    hub.publish("ws:1/a", 1)
    sub = hub.subscribe("ws:1/", prefix=True, since_hub_seq=hub.position())
    assert sub.resumed is True
    assert drain(sub) == []


def test_a_prefix_resume_past_a_topics_ring_is_reported_incomplete() -> None:
    hub = EventHub(history=2)
    since = hub.position()
    for n in range(4):
        hub.publish("ws:1/a", n)
    sub = hub.subscribe("ws:1/", prefix=True, since_hub_seq=since)
    assert sub.resumed is False
    assert seqs(drain(sub)) == [3, 4]


def test_a_prefix_resume_past_an_evicted_topic_is_reported_incomplete() -> None:
    hub = EventHub(max_topics=1)
    since = hub.position()
    hub.publish("ws:1/a", 0)
    hub.publish("ws:1/b", 0)  # evicts ws:1/a with an event the subscriber never saw
    assert hub.subscribe("ws:1/", prefix=True, since_hub_seq=since).resumed is False


def test_a_prefix_resume_from_an_unknown_position_is_refused() -> None:
    hub = EventHub()
    assert hub.subscribe("ws:1/", prefix=True, since_hub_seq=5).resumed is False


def test_resume_numbers_must_match_the_subscription_kind() -> None:
    hub = EventHub()
    with pytest.raises(ValueError, match="prefix subscription resumes with since_hub_seq"):
        hub.subscribe("t/", prefix=True, since_seq=1)
    with pytest.raises(ValueError, match="since_hub_seq is for prefix subscriptions"):
        hub.subscribe("t", since_hub_seq=1)
    with pytest.raises(ValueError, match="since_seq must be >= 0"):
        hub.subscribe("t", since_seq=-1)
