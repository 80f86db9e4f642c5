"""Development within a cap: a brain grown or edited under a lower cap than its limits stops
before growing past it, and keeps no cap afterwards (the cap is one development's room).

Barebones has 7 one-neuron areas and no synapses; essential has 55,363 neurons.
"""

from __future__ import annotations

import pytest

from brains.brain import Brain
from brains.connectome import DEFAULT_LIMITS, DevelopmentLimits, LimitExceededError
from brains.genome import load_template
from brains.genome.model import MappingRule

SMALL = DevelopmentLimits(max_neurons=1_000, max_synapses=100)
ALL_TO_ALL = [MappingRule("all_to_all")]


def test_development_within_a_cap_stops_there_and_names_the_neurons_it_needed() -> None:
    with pytest.raises(LimitExceededError) as caught:
        Brain.develop(load_template("essential"), cap=SMALL)

    assert (caught.value.resource, caught.value.count) == ("neurons", 55_363)


def test_a_brain_developed_within_a_cap_keeps_its_own_limits() -> None:
    brain = Brain.develop(load_template("barebones"), cap=DevelopmentLimits(max_neurons=7))

    brain.update_area("___pwr", dimensions=[10, 10, 10])

    assert brain.connectome.limits == DEFAULT_LIMITS
    assert brain.stats().neuron_count == 6 + 1_000


def test_an_edit_in_a_limited_block_stops_at_the_cap_before_wiring() -> None:
    brain = Brain.develop(load_template("barebones"))
    brain.update_area("___pwr", dimensions=[10, 10, 10])

    with pytest.raises(LimitExceededError) as caught, brain.limited(SMALL):
        brain.set_mapping("___pwr", "___pwr", ALL_TO_ALL)  # 1,000,000 synapses

    assert (caught.value.resource, caught.value.count) == ("synapses", None)
    assert brain.stats().synapse_count == 0


def test_the_limits_come_back_after_a_limited_block() -> None:
    brain = Brain.develop(load_template("barebones"))

    with pytest.raises(LimitExceededError), brain.limited(SMALL):
        brain.update_area("___pwr", dimensions=[20, 20, 20])
    brain.update_area("___pwr", dimensions=[20, 20, 20])

    assert brain.connectome.limits == DEFAULT_LIMITS
    assert brain.stats().neuron_count == 6 + 8_000


def test_a_genome_replaced_in_a_limited_block_develops_within_the_cap() -> None:
    brain = Brain.develop(load_template("barebones"))
    before = brain.snapshot()

    with pytest.raises(LimitExceededError, match="55,363 neurons"), brain.limited(SMALL):
        brain.replace_genome(load_template("essential"))

    assert brain.snapshot() == before


def test_edits_after_a_genome_replacement_in_a_limited_block_are_capped_too() -> None:
    brain = Brain.develop(load_template("essential"))

    with brain.limited(DevelopmentLimits(max_neurons=100)):
        brain.replace_genome(load_template("barebones"))
        with pytest.raises(LimitExceededError, match="neurons"):
            brain.update_area("___pwr", dimensions=[5, 5, 5])

    assert brain.connectome.limits == DEFAULT_LIMITS
