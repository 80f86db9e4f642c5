"""FEAGI's own Python SDK (feagi-core's ``GenomeAPI``), unmodified, drives a brainhost brain.

The SDK is given only the base URL ``http://127.0.0.1:<port>/feagi/<key>``; it speaks
HTTP with ``requests`` (blocking), so its calls run on a worker thread while uvicorn
serves on the test's event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import pytest
from feagi.genome.api import GenomeAPI, GenomeAPIError
from feagi_support import FeagiServer, essential_document


async def sdk(fn: Callable[..., Any], *args: Any) -> Any:
    return await anyio.to_thread.run_sync(fn, *args)


async def until(server: FeagiServer, predicate: Callable[[int], bool]) -> int:
    """Poll the burst counter until ``predicate(counter)`` (bounded; no fixed sleeps)."""
    deadline = time.monotonic() + 20
    while True:
        counter = (await server.get("/v1/burst_engine/burst_counter")).json()
        if predicate(counter):
            return int(counter)
        assert time.monotonic() < deadline, f"burst counter stuck at {counter}"
        await anyio.sleep(0.01)


async def test_sdk_develops_the_essential_genome_and_edits_areas(barebones: FeagiServer) -> None:
    api = GenomeAPI(barebones.url, timeout=30)
    before = await sdk(api.list_cortical_area_ids)
    assert len(before) == 7  # barebones: the core areas

    uploaded = await sdk(api.upload, essential_document())
    assert uploaded == {"success": True, "message": "Genome uploaded successfully",
                        "brain_region_count": 1, "cortical_area_count": 30}

    ids = await sdk(api.list_cortical_area_ids)
    names = await sdk(api.list_cortical_area_names)
    assert len(ids) == len(names) == 30
    assert {"X19fcG93ZXI=", "Y19fZm9yX18=", "b21vdAUAAAA=", "aXN2aUkAAAA="} <= set(ids)
    assert {"forward", "Motor Output", "vision_C", "Brain_Power"} <= set(names)

    vision = await sdk(api.get_cortical_area_properties, "aXN2aUkAAAA=")
    assert vision["cortical_name"] == "vision_C"
    assert vision["cortical_dimensions"] == [128, 128, 3]
    assert vision["neuron_count"] == 49_152

    created = await sdk(api.add_custom_cortical_area, "sdk_area", (2, 3, 4), (1, 2, 3))
    new_id = created["cortical_id"]
    assert created["message"] == "Custom cortical area created successfully"
    assert new_id in await sdk(api.list_cortical_area_ids)
    area = await sdk(api.get_cortical_area_properties, new_id)
    assert (area["cortical_name"], area["cortical_dimensions"], area["coordinates_3d"],
            area["neuron_count"]) == ("sdk_area", [2, 3, 4], [1, 2, 3], 24)

    updated = await sdk(api.update_cortical_area, new_id,
                        {"cortical_name": "renamed", "neuron_fire_threshold": 2.5,
                         "cortical_dimensions": [3, 3, 3]})
    assert updated == {"message": "Cortical area updated", "previous_cortical_id": new_id,
                       "cortical_id": new_id}
    area = await sdk(api.get_cortical_area_properties, new_id)
    assert (area["cortical_name"], area["neuron_fire_threshold"], area["neuron_count"]) == (
        "renamed", 2.5, 27)

    assert await sdk(api.remove_cortical_area, new_id) == {"message": "Cortical area deleted"}
    assert new_id not in await sdk(api.list_cortical_area_ids)
    with pytest.raises(GenomeAPIError) as missing:
        await sdk(api.get_cortical_area_properties, new_id)
    assert missing.value.status_code == 404

    downloaded = await sdk(api.download)
    assert downloaded["version"] == "2.1"
    assert "_____10c-c__for-cx-__name-t" in downloaded["blueprint"]


async def test_sdk_round_trips_a_downloaded_genome(essential: FeagiServer) -> None:
    api = GenomeAPI(essential.url, timeout=30)
    downloaded = await sdk(api.download)
    uploaded = await sdk(api.upload, downloaded)
    assert uploaded["cortical_area_count"] == 30
    assert await sdk(api.download) == downloaded


async def test_burst_engine_counts_and_fires_what_was_stimulated(essential: FeagiServer) -> None:
    stats = (await essential.get("/v1/burst_engine/stats")).json()
    assert stats == {"frequency_hz": 15.0, "paused": False, "burst_count": 0, "active": False}
    assert (await essential.post("/v1/burst_engine/simulation_timestep",
                                 {"simulation_timestep": 0.005})).json() == {
        "message": "Timestep set to 0.005"}
    assert (await essential.get("/v1/burst_engine/simulation_timestep")).json() == 0.005

    answer = (await essential.post("/v1/agent/manual_stimulation", {"stimulation_payload": {
        "Y19fZm9yX18=": [[0, 0, 0]], "aXN2aRkAAAA=": [[0, 0, 0], [1, 1, 1]]}})).json()
    assert answer == {"success": True, "total_coordinates": 3, "requested_coordinates": 3,
                      "matched_coordinates": 3, "unique_neuron_ids": 3, "mode": "force_fire",
                      "successful_areas": 2, "failed_areas": []}

    assert (await essential.post("/v1/burst_engine/start")).json() == {
        "message": "Burst engine started successfully"}
    assert (await essential.get("/v1/burst_engine/stats")).json()["active"] is True
    await until(essential, lambda counter: counter >= 1)
    assert (await essential.post("/v1/burst_engine/stop")).json() == {
        "message": "Burst engine stopped successfully"}
    stopped_at = (await essential.get("/v1/burst_engine/burst_counter")).json()
    stats = (await essential.get("/v1/burst_engine/stats")).json()
    assert stats == {"frequency_hz": 200.0, "paused": False, "burst_count": stopped_at,
                     "active": False}
    assert (await essential.get("/v1/burst_engine/burst_counter")).json() == stopped_at


async def test_fire_queue_shows_the_stimulated_areas_of_the_next_burst(
        essential: FeagiServer) -> None:
    await essential.post("/v1/agent/manual_stimulation", {"stimulation_payload": {
        "Y19fZm9yX18=": [[0, 0, 0]], "aXN2aRkAAAA=": [[0, 0, 0], [1, 1, 1]]}})
    # One burst, stepped between calls the way the loop steps it.
    await essential.access.call(lambda brain: brain.step(1))
    queue = (await essential.get("/v1/burst_engine/fire_queue")).json()
    assert queue == {"total_fired": 4, "timestep": 1, "cortical_areas": {
        "X19fcG93ZXI=": 1, "Y19fZm9yX18=": 1, "aXN2aRkAAAA=": 2}}


async def test_starting_a_running_engine_is_refused(essential: FeagiServer) -> None:
    await essential.post("/v1/burst_engine/simulation_timestep", {"simulation_timestep": 0.01})
    assert (await essential.post("/v1/burst_engine/start")).status_code == 200
    again = await essential.post("/v1/burst_engine/start")
    assert again.status_code == 400
    assert again.json() == {"code": 400,
                            "message": "Invalid state: the burst engine is already running"}
    assert (await essential.post("/v1/burst_engine/stop")).status_code == 200
    assert (await essential.post("/v1/burst_engine/stop")).status_code == 200
