"""Plain-data reports on developing and running a genome (used by the CLI and benchmarks)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from brains.brain import Brain
from brains.connectome import develop
from brains.genome import Genome

__all__ = [
    "FIRED_BY_BURST_RECORDED",
    "DevelopmentReport",
    "RunReport",
    "develop_report",
    "run_report",
]

FIRED_BY_BURST_RECORDED = 16
"""How many leading bursts ``run_report`` breaks down per area."""


@dataclass(frozen=True, slots=True)
class DevelopmentReport:
    cortical_areas: int
    neurons: int
    synapses: int
    develop_seconds: float
    areas: dict[str, dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "cortical_areas": self.cortical_areas,
            "neurons": self.neurons,
            "synapses": self.synapses,
            "develop_seconds": self.develop_seconds,
            "areas": self.areas,
        }


@dataclass(frozen=True, slots=True)
class RunReport:
    bursts: int
    seconds: float
    synaptic_events: int
    fired_last_burst: int
    fired_by_burst: list[dict[str, int]]

    def as_dict(self) -> dict[str, Any]:
        seconds = self.seconds
        return {
            "bursts": self.bursts,
            "seconds": seconds,
            "bursts_per_s": self.bursts / seconds if seconds > 0 else 0.0,
            "synaptic_events": self.synaptic_events,
            "synaptic_events_per_s": self.synaptic_events / seconds if seconds > 0 else 0.0,
            "fired_last_burst": self.fired_last_burst,
            "fired_by_burst": self.fired_by_burst,
        }


def develop_report(genome: Genome, *, seed: int = 0) -> DevelopmentReport:
    """Develop ``genome`` and count what grew, per area keyed by the genome's cortical ids."""
    started = time.perf_counter()
    connectome = develop(genome, seed=seed)
    elapsed = time.perf_counter() - started
    counts = connectome.counts()
    return DevelopmentReport(
        cortical_areas=counts.cortical_areas,
        neurons=counts.neurons,
        synapses=counts.synapses,
        develop_seconds=elapsed,
        areas={
            cid: {"neurons": area.neurons, "synapses_out": area.synapses_out}
            for cid, area in counts.areas.items()
        },
    )


def run_report(brain: Brain, bursts: int, *, stimulate: Sequence[str] = ()) -> RunReport:
    """Force-fire every neuron of ``stimulate`` areas, then run ``bursts`` bursts flat out.

    The first :data:`FIRED_BY_BURST_RECORDED` bursts are stepped one by one to record which
    areas fired; the rest run in one engine call. ``seconds`` covers all of them.
    """
    for cortical_id in stimulate:
        brain.stimulate(cortical_id)
    events_before = brain.engine.synaptic_events
    recorded = min(bursts, FIRED_BY_BURST_RECORDED)
    fired_by_burst: list[dict[str, int]] = []
    started = time.perf_counter()
    for _ in range(recorded):
        brain.step(1)
        fired_by_burst.append(brain.fired_by_area())
    brain.step(bursts - recorded)
    seconds = time.perf_counter() - started
    return RunReport(
        bursts=bursts,
        seconds=seconds,
        synaptic_events=brain.engine.synaptic_events - events_before,
        fired_last_burst=brain.engine.fired_last_burst,
        fired_by_burst=fired_by_burst,
    )
