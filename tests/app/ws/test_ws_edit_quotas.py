"""Websocket commands that grow a brain (area and mapping edits, genome replacement) are
checked against the workspace's neuron and synapse quotas; a refused one changes nothing.

The workspace here may have 1,000 neurons and 500 synapses; its default brain (barebones)
has 7 one-neuron areas and no synapses.
"""

from __future__ import annotations

from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection
from ws_support import LiveServer, Tenant, recv, send, settled

from brains.genome import genome_to_dict, load_template

pytestmark = pytest.mark.ws_env(
    BRAINHOST_QUOTA_MAX_NEURONS="1000", BRAINHOST_QUOTA_MAX_SYNAPSES="500"
)


async def command(ws: ClientConnection, brain: str, name: str, **args: Any) -> dict[str, Any]:
    await send(ws, {"type": "command", "id": name, "brain": brain, "command": name,
                    "args": args})
    while True:
        frame = await recv(ws)
        if frame["type"] == "reply" and frame["id"] == name:
            return frame


async def default_brain(server: LiveServer, tenant: Tenant, ws: ClientConnection) -> str:
    await settled(ws)
    (brain,) = await server.services.brains.list_brains(tenant.workspace_id)
    brain_id: str = brain.id
    return brain_id


async def snapshot(server: LiveServer, tenant: Tenant, brain: str) -> bytes:
    data: bytes = await server.services.brains.call(
        tenant.workspace_id, brain, lambda b: b.snapshot())
    return data


async def test_an_area_edit_past_the_neuron_quota_is_refused_and_changes_nothing(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        brain = await default_brain(server, tenant, ws)
        before = await snapshot(server, tenant, brain)

        refused = await command(ws, brain, "update_area", area="___pwr",
                                changes={"dimensions": [20, 20, 20]})

    assert refused["ok"] is False and refused["error"]["code"] == "quota_exceeded"
    message = refused["error"]["message"]
    assert "max_neurons" in message and "limit 1,000" in message and "8,006 neurons" in message
    assert await snapshot(server, tenant, brain) == before


async def test_a_mapping_edit_past_the_synapse_quota_is_refused_and_changes_nothing(
    server: LiveServer,
) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        brain = await default_brain(server, tenant, ws)
        grown = await command(ws, brain, "update_area", area="___pwr",
                              changes={"dimensions": [5, 5, 5]})
        assert grown["ok"] is True, grown
        before = await snapshot(server, tenant, brain)

        refused = await command(ws, brain, "set_mapping", source="___pwr",
                                destination="___pwr",
                                rules=[["all_to_all", [1, 1, 1], 1, False]])

    assert refused["error"]["code"] == "quota_exceeded"
    assert "max_synapses" in refused["error"]["message"]
    assert "more than the 500 synapses" in refused["error"]["message"]  # stopped at the room
    assert await snapshot(server, tenant, brain) == before


async def test_a_genome_past_the_quota_is_refused_and_changes_nothing(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        brain = await default_brain(server, tenant, ws)
        before = await snapshot(server, tenant, brain)

        refused = await command(ws, brain, "put_genome",
                                genome=genome_to_dict(load_template("essential")))

    assert refused["error"]["code"] == "quota_exceeded"
    assert "max_neurons" in refused["error"]["message"]
    assert await snapshot(server, tenant, brain) == before


async def test_an_edit_within_the_quotas_is_applied(server: LiveServer) -> None:
    tenant = await server.tenant()
    async with server.connect(tenant.token) as ws:
        brain = await default_brain(server, tenant, ws)

        grown = await command(ws, brain, "update_area", area="___pwr",
                              changes={"dimensions": [5, 5, 5]})
        mapped = await command(ws, brain, "set_mapping", source="___pwr",
                               destination="_death", rules=[["all_to_all", [1, 1, 1], 1, False]])

    assert grown["ok"] is True and grown["data"]["stats"]["neuron_count"] == 7 - 1 + 125
    assert mapped["ok"] is True and mapped["data"]["synapse_count"] == 125
