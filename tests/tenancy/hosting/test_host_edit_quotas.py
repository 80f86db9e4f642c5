"""Edits that grow a brain (areas, mappings, genomes, mutating calls) are checked against the
workspace's neuron and synapse quotas in one place; a refused edit changes nothing.

The fixture's quotas: 60,000 neurons and 100,000 synapses per workspace. Barebones has 7
one-neuron areas and no synapses; essential has 55,363 neurons.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest
from host_support import Hosted

import brains.connectome.connectome as connectome_module
from brains.brain import Brain
from brains.genome import genome_to_dict, load_template
from tenancy.hosting import BrainHost, InvalidCommand, QuotaExceeded, Quotas

ALL_TO_ALL = [["all_to_all", [1, 1, 1], 1, False]]


@dataclass
class Grown:
    """The most neurons and synapses development allocated at once since the last reset."""

    neurons: int = 0
    synapses: int = 0

    def reset(self) -> None:
        self.neurons = self.synapses = 0


@pytest.fixture
def grown(monkeypatch: pytest.MonkeyPatch) -> Grown:
    """Spies on neurogenesis (a brain's neurons) and synaptogenesis (a mapping's synapses)."""
    spy = Grown()
    grow_neurons = connectome_module.grow_neurons
    develop_mapping = connectome_module.develop_mapping

    def grow(*args: Any, **kwargs: Any) -> Any:
        neurons = grow_neurons(*args, **kwargs)
        spy.neurons = max(spy.neurons, len(neurons))
        return neurons

    def wire(*args: Any, **kwargs: Any) -> Any:
        block = develop_mapping(*args, **kwargs)
        spy.synapses = max(spy.synapses, block.count)
        return block

    monkeypatch.setattr(connectome_module, "grow_neurons", grow)
    monkeypatch.setattr(connectome_module, "develop_mapping", wire)
    return spy


async def snapshot(host: BrainHost, brain_id: str) -> bytes:
    """The brain's full state (genome, engine state, burst counter) as bytes."""
    data: bytes = await host.call("w1", brain_id, lambda brain: brain.snapshot())
    return data


async def resize_power(host: BrainHost, brain_id: str, side: int) -> dict[str, Any]:
    return await host.command("w1", brain_id, "update_area",
                              {"area": "___pwr", "changes": {"dimensions": [side] * 3}})


async def test_an_area_edit_past_the_neuron_quota_is_refused_and_changes_nothing(
    hosted: Hosted,
) -> None:
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")
    small = await host.create_brain("w1", name="small", template="barebones")
    await host.command("w1", small.id, "step", {"n": 3})
    before = await snapshot(host, small.id)

    with pytest.raises(QuotaExceeded) as caught:
        await resize_power(host, small.id, 20)  # 7 - 1 + 8,000 neurons

    assert caught.value.quota == "max_neurons"
    assert "limit 60,000" in caught.value.message
    assert f"{55_363 + 8_006:,} neurons" in caught.value.message
    assert await snapshot(host, small.id) == before
    assert (await host.usage("w1"))[1] == 55_363 + 7


async def test_a_mapping_edit_past_the_synapse_quota_is_refused_and_changes_nothing(
    hosted: Hosted,
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await resize_power(host, info.id, 10)
    before = await snapshot(host, info.id)

    with pytest.raises(QuotaExceeded) as caught:
        await host.command("w1", info.id, "set_mapping",
                           {"source": "___pwr", "destination": "___pwr", "rules": ALL_TO_ALL})

    assert caught.value.quota == "max_synapses"
    # Development stopped at the room, so the would-be total is not known: "more than".
    assert "limit 100,000" in caught.value.message
    assert "more than the 100,000 synapses" in caught.value.message
    assert await snapshot(host, info.id) == before


async def test_a_genome_past_the_neuron_quota_names_the_would_be_total(hosted: Hosted) -> None:
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")
    info = await host.create_brain("w1", name="small", template="barebones")
    before = await snapshot(host, info.id)

    with pytest.raises(QuotaExceeded) as caught:
        await host.command("w1", info.id, "put_genome",
                           {"genome": genome_to_dict(load_template("essential"))})

    assert f"{2 * 55_363:,} neurons" in caught.value.message
    assert await snapshot(host, info.id) == before


async def test_a_mutating_call_past_the_quota_is_refused_and_changes_nothing(
    hosted: Hosted,
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    before = await snapshot(host, info.id)

    def grow(brain: Brain) -> None:
        brain.update_area("___pwr", dimensions=[50, 50, 50])

    with pytest.raises(QuotaExceeded, match="max_neurons"):
        await host.call("w1", info.id, grow, mutates=True)

    assert await snapshot(host, info.id) == before


async def test_a_mutating_call_that_raises_is_undone(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    before = await snapshot(host, info.id)

    def grow_then_fail(brain: Brain) -> None:
        brain.update_area("___pwr", dimensions=[2, 2, 2])
        raise LookupError("no such thing")

    with pytest.raises(LookupError):
        await host.call("w1", info.id, grow_then_fail, mutates=True)

    assert await snapshot(host, info.id) == before


async def test_an_edit_within_the_quotas_is_applied_and_counted(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")

    resized = await resize_power(host, info.id, 10)
    mapped = await host.command(
        "w1", info.id, "set_mapping",
        {"source": "___pwr", "destination": "_death", "rules": ALL_TO_ALL},
    )

    assert resized["stats"]["neuron_count"] == 1_006
    assert mapped["synapse_count"] == 1_000 and mapped["stats"]["synapse_count"] == 1_000
    assert await host.usage("w1") == (1, 1_006, 1_000)


async def test_a_brain_above_a_lowered_quota_may_still_shrink(hosted: Hosted) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await resize_power(host, info.id, 10)
    host.quotas.set_limits("w1", Quotas(max_neurons=100))

    shrunk = await resize_power(host, info.id, 5)

    assert shrunk["stats"]["neuron_count"] == 131
    with pytest.raises(QuotaExceeded, match="max_neurons"):
        await resize_power(host, info.id, 6)


async def test_concurrent_edits_cannot_both_take_the_last_room(hosted: Hosted) -> None:
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")  # leaves 4,637 neurons
    first = await host.create_brain("w1", name="first", template="barebones")
    second = await host.create_brain("w1", name="second", template="barebones")

    results = await asyncio.gather(
        resize_power(host, first.id, 15),  # +3,374 each: one fits, two do not
        resize_power(host, second.id, 15),
        return_exceptions=True,
    )

    assert sorted(type(r).__name__ for r in results) == ["QuotaExceeded", "dict"]
    assert (await host.usage("w1"))[1] <= 60_000


@pytest.mark.parametrize(
    ("command", "args", "field"),
    [
        ("update_area", {"area": "___pwr"}, "changes"),
        ("update_area", {"area": "___pwr", "changes": {"cortical_id": "x"}}, "changes.cortical_id"),
        ("update_area", {"area": "___pwr", "changes": {"self": 1}}, "changes.self"),
        ("set_mapping", {"source": "___pwr", "destination": "_death"}, "rules"),
        ("set_mapping", {"source": "___pwr", "destination": "_death", "rules": [["x"]]},
         "$.rules[0]"),
    ],
)
async def test_bad_edit_commands_say_what_is_wrong(
    hosted: Hosted, command: str, args: dict[str, Any], field: str
) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones")

    with pytest.raises(InvalidCommand) as caught:
        await hosted.host.command("w1", info.id, command, args)

    assert field in caught.value.fields


# -- development stops at the room the quotas leave: a refusal never allocates past it ----


async def test_a_brain_too_big_for_the_quota_is_refused_before_it_is_grown(
    hosted: Hosted, grown: Grown
) -> None:
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")  # leaves 4,637 neurons
    grown.reset()

    with pytest.raises(QuotaExceeded) as caught:
        await host.create_brain("w1", name="again", template="essential")

    assert caught.value.quota == "max_neurons"
    assert f"{2 * 55_363:,} neurons" in caught.value.message
    assert grown.neurons <= 4_637
    assert (await host.usage("w1"))[0] == 1


async def test_an_area_edit_past_the_quota_is_refused_before_it_is_grown(
    hosted: Hosted, grown: Grown
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    grown.reset()

    with pytest.raises(QuotaExceeded, match="max_neurons"):
        await resize_power(host, info.id, 100)  # 1,000,000 neurons

    assert grown.neurons <= 60_000


async def test_a_mapping_past_the_quota_is_refused_before_it_is_wired(
    hosted: Hosted, grown: Grown
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await resize_power(host, info.id, 10)
    grown.reset()

    with pytest.raises(QuotaExceeded, match="max_synapses"):
        await host.command("w1", info.id, "set_mapping",  # 1,000,000 synapses
                           {"source": "___pwr", "destination": "___pwr", "rules": ALL_TO_ALL})

    assert grown.synapses <= 100_000


async def test_a_genome_past_the_quota_is_refused_before_it_is_grown(
    hosted: Hosted, grown: Grown
) -> None:
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")
    info = await host.create_brain("w1", name="small", template="barebones")
    grown.reset()

    with pytest.raises(QuotaExceeded, match="max_neurons"):
        await host.command("w1", info.id, "put_genome",
                           {"genome": genome_to_dict(load_template("essential"))})

    assert grown.neurons <= 4_637


async def test_a_genome_replaced_by_a_mutating_call_is_refused_before_it_is_grown(
    hosted: Hosted, grown: Grown
) -> None:
    # What the FEAGI API's genome upload does: the genome is replaced inside the call.
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")
    info = await host.create_brain("w1", name="small", template="barebones")
    essential = load_template("essential")
    before = await snapshot(host, info.id)
    grown.reset()

    with pytest.raises(QuotaExceeded, match="max_neurons"):
        await host.call("w1", info.id, lambda brain: brain.replace_genome(essential),
                        mutates=True)

    assert grown.neurons <= 4_637
    assert await snapshot(host, info.id) == before


async def test_a_brain_keeps_no_cap_from_its_creation_when_the_quota_is_raised(
    hosted: Hosted,
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")  # room: 60,000
    host.quotas.set_limits("w1", Quotas(max_neurons=100_000))

    resized = await resize_power(host, info.id, 40)

    assert resized["stats"]["neuron_count"] == 6 + 64_000
