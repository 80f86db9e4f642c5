"""``Brain.transaction()``: edits in a block that raises are undone exactly."""

from __future__ import annotations

import pytest

from brains.brain import Brain
from brains.genome import load_template


def test_a_block_that_raises_leaves_the_brain_exactly_as_it_was() -> None:
    brain = Brain.develop(load_template("barebones"))
    brain.stimulate("___pwr")
    brain.step(3)
    before = brain.snapshot()

    with pytest.raises(RuntimeError), brain.transaction():
        brain.update_area("___pwr", dimensions=[4, 4, 4])
        brain.step(2)
        raise RuntimeError("refused")

    assert brain.snapshot() == before


def test_a_block_that_completes_keeps_its_edits() -> None:
    brain = Brain.develop(load_template("barebones"))

    with brain.transaction():
        brain.update_area("___pwr", dimensions=[4, 4, 4])

    assert brain.stats().neuron_count == 7 - 1 + 64
