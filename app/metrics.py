"""Prometheus metrics of one app instance (own registry, so tests can build many apps)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from actors import ActorSystem

__all__ = ["ActorSystemCollector", "HttpMetrics"]

_LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


@dataclass(frozen=True)
class HttpMetrics:
    """Request counts and latency histograms, labelled by route template (bounded labels)."""

    requests: Counter
    latency: Histogram

    @classmethod
    def create(cls, registry: CollectorRegistry) -> HttpMetrics:
        return cls(
            requests=Counter(
                "brainhost_http_requests",
                "HTTP requests handled, by method, route template and status.",
                ("method", "route", "status"),
                registry=registry,
            ),
            latency=Histogram(
                "brainhost_http_request_seconds",
                "HTTP request latency, by method and route template.",
                ("method", "route"),
                buckets=_LATENCY_BUCKETS,
                registry=registry,
            ),
        )


class ActorSystemCollector(Collector):
    """Reads the actor system's statistics at scrape time (no bookkeeping on hot paths)."""

    def __init__(self, system: Callable[[], ActorSystem | None]) -> None:
        self._system = system

    def collect(self) -> Iterator[Metric]:
        system = self._system()
        if system is None or not system.running:
            return
        stats = system.statistics()
        actors = GaugeMetricFamily("brainhost_actors", "Actors currently running.")
        actors.add_metric([], stats.actors_running)
        yield actors
        depth = GaugeMetricFamily(
            "brainhost_mailbox_depth", "Messages queued in all actor mailboxes."
        )
        depth.add_metric([], stats.mailbox_depth_total)
        yield depth
        depth_max = GaugeMetricFamily(
            "brainhost_mailbox_depth_max", "Deepest single actor mailbox."
        )
        depth_max.add_metric([], stats.mailbox_depth_max)
        yield depth_max
        restarts = GaugeMetricFamily(
            "brainhost_actor_restarts", "Actor restarts performed by supervisors since start."
        )
        restarts.add_metric([], stats.restarts_total)
        yield restarts
