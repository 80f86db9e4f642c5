"""Quotas per workspace, genome replacement, and command validation."""

from __future__ import annotations

from typing import Any

import pytest
from host_support import Hosted

from brains.genome import genome_to_dict, load_template
from tenancy.hosting import InvalidCommand, InvalidGenome, QuotaExceeded, QuotaPolicy, Quotas


async def test_the_brain_count_quota_names_itself(hosted: Hosted) -> None:
    for n in range(hosted.config.quotas.max_brains):
        await hosted.host.create_brain("w1", name=f"b{n}", template="barebones")

    with pytest.raises(QuotaExceeded) as caught:
        await hosted.host.create_brain("w1", name="one too many", template="barebones")

    assert caught.value.quota == "max_brains" and "max_brains" in caught.value.message
    assert (await hosted.host.create_brain("w2", name="other", template="barebones")).id


async def test_the_neuron_quota_counts_every_brain_of_the_workspace(hosted: Hosted) -> None:
    await hosted.host.create_brain("w1", name="big", template="essential")  # 55,363 neurons

    with pytest.raises(QuotaExceeded) as caught:
        await hosted.host.create_brain("w1", name="second", template="essential")

    assert caught.value.quota == "max_neurons"
    assert (await hosted.host.usage("w1"))[0] == 1


async def test_the_frequency_quota_applies_to_create_update_and_commands(hosted: Hosted) -> None:
    host = hosted.host
    with pytest.raises(QuotaExceeded, match="max_frequency_hz"):
        await host.create_brain("w1", name="fast", template="barebones", frequency_hz=500.0)
    info = await host.create_brain("w1", name="ok", template="barebones", frequency_hz=100.0)

    with pytest.raises(QuotaExceeded, match="max_frequency_hz"):
        await host.update_brain("w1", info.id, frequency_hz=201.0)
    with pytest.raises(QuotaExceeded, match="max_frequency_hz"):
        await host.command("w1", info.id, "set_frequency", {"hz": 1000})
    assert (await host.command("w1", info.id, "set_frequency", {"hz": 50}))["frequency_hz"] == 50


def test_websocket_connections_are_counted_per_workspace() -> None:
    quotas = QuotaPolicy(Quotas(max_ws_connections=2))
    quotas.acquire_connection("w1")
    with quotas.connection("w1"):
        with pytest.raises(QuotaExceeded) as caught:
            quotas.acquire_connection("w1")
        quotas.acquire_connection("w2")
    quotas.acquire_connection("w1")

    assert caught.value.quota == "max_ws_connections"
    assert (quotas.connections("w1"), quotas.connections("w2")) == (2, 1)


async def test_an_invalid_genome_lists_every_error_and_the_brain_keeps_its_own(
    hosted: Hosted,
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    before = await host.command("w1", info.id, "genome", {})
    broken: dict[str, Any] = genome_to_dict(load_template("barebones"))
    blueprint = broken["blueprint"]
    first = next(key for key in blueprint if key.endswith("_n_cnt-i"))
    blueprint[first] = "not a count"
    broken["neuron_morphologies"] = 7

    with pytest.raises(InvalidGenome) as caught:
        await host.command("w1", info.id, "put_genome", {"genome": broken})

    paths = set(caught.value.fields)
    assert "$.neuron_morphologies" in paths
    assert any(first in path for path in paths)
    assert len(caught.value.errors) >= 2
    assert await host.command("w1", info.id, "genome", {}) == before
    assert (await host.command("w1", info.id, "stats", {}))["cortical_area_count"] == 7


async def test_a_valid_genome_replaces_the_brain_and_keeps_the_burst_counter(
    hosted: Hosted,
) -> None:
    host = hosted.host
    info = await host.create_brain("w1", name="a", template="barebones")
    await host.command("w1", info.id, "step", {"n": 4})
    essential = genome_to_dict(load_template("essential"))

    result = await host.command("w1", info.id, "put_genome", {"genome": essential})

    assert result["stats"]["cortical_area_count"] == 30
    assert result["stats"]["burst_count"] == 4
    assert (await host.usage("w1"))[1] == result["stats"]["neuron_count"]


async def test_a_genome_over_the_neuron_quota_is_refused_and_changes_nothing(
    hosted: Hosted,
) -> None:
    host = hosted.host
    await host.create_brain("w1", name="big", template="essential")
    info = await host.create_brain("w1", name="small", template="barebones")
    essential = genome_to_dict(load_template("essential"))

    with pytest.raises(QuotaExceeded, match="max_neurons"):
        await host.command("w1", info.id, "put_genome", {"genome": essential})

    assert (await host.command("w1", info.id, "stats", {}))["cortical_area_count"] == 7


@pytest.mark.parametrize(
    ("command", "args", "field"),
    [
        ("dance", {}, "command"),
        ("step", {"n": 0}, "n"),
        ("step", {"n": "3"}, "n"),
        ("step", {"n": 10_001}, "n"),
        ("set_frequency", {"hz": -1}, "frequency_hz"),
        ("sensory", {"area": "___pwr", "voxels": [[0, 0, 0]]}, "voxels[0]"),
        ("sensory", {"voxels": [[0, 0, 0, 1]]}, "area"),
        ("stats", {"extra": 1}, "args"),
        ("put_genome", {"genome": [1, 2]}, "genome"),
    ],
)
async def test_bad_commands_say_what_is_wrong(
    hosted: Hosted, command: str, args: dict[str, Any], field: str
) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones")

    with pytest.raises(InvalidCommand) as caught:
        await hosted.host.command("w1", info.id, command, args)

    assert field in caught.value.fields


async def test_sensory_input_to_an_unknown_area_is_refused(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="barebones")

    with pytest.raises(InvalidCommand, match="nope"):
        await hosted.host.command("w1", info.id, "sensory",
                                  {"area": "nope", "voxels": [[0, 0, 0, 1.0]]})


async def test_stimulation_fires_neurons_in_the_next_burst(hosted: Hosted) -> None:
    info = await hosted.host.create_brain("w1", name="a", template="essential")
    await hosted.host.command("w1", info.id, "stimulate", {"area": "iic000"})

    await hosted.host.command("w1", info.id, "step", {"n": 1})
    fired = await hosted.host.call("w1", info.id, lambda brain: brain.fired_by_area())

    assert fired.get("iic000", 0) == 16 * 16 * 3
