"""The FEAGI API's edits of a hosted brain count against its workspace's quotas: an area
created or resized, or a genome uploaded, past them answers 403 naming the quota, and the
brain stays as it was. The workspace here may have 1,000 neurons; barebones has 7.
"""

from __future__ import annotations

from typing import Any

import pytest
from feagi_support import HostedServer, essential_document

NEURONS = 1_000


@pytest.fixture
def hosted_env() -> dict[str, str]:
    return {"BRAINHOST_QUOTA_MAX_NEURONS": str(NEURONS)}


async def feagi_url(hosted: HostedServer) -> str:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    return hosted.origin + (await hosted.issue(admin, brain))["base_path"]


async def area_ids(hosted: HostedServer, url: str) -> list[str]:
    answer = await hosted.http.get(f"{url}/v1/cortical_area/cortical_area_id_list")
    ids: list[str] = answer.json()["cortical_ids"]
    return ids


async def properties(hosted: HostedServer, url: str, cortical_id: str) -> dict[str, Any]:
    answer = await hosted.http.post(f"{url}/v1/cortical_area/cortical_area_properties",
                                    json={"cortical_id": cortical_id})
    body: dict[str, Any] = answer.json()
    return body


async def add_area(hosted: HostedServer, url: str, side: int) -> Any:
    return await hosted.http.post(f"{url}/v1/cortical_area/custom_cortical_area", json={
        "cortical_name": "grown", "cortical_dimensions": [side] * 3, "coordinates_3d": [0, 0, 0],
    })


async def test_a_custom_area_past_the_neuron_quota_answers_403_and_adds_nothing(
    hosted: HostedServer,
) -> None:
    url = await feagi_url(hosted)
    before = await area_ids(hosted, url)

    refused = await add_area(hosted, url, 20)  # 8,000 neurons

    assert refused.status_code == 403, refused.text
    message = refused.json()["message"]
    assert "max_neurons" in message and f"limit {NEURONS:,}" in message
    assert f"{7 + 8_000:,} neurons" in message
    assert await area_ids(hosted, url) == before


async def test_resizing_an_area_past_the_quota_answers_403_and_keeps_its_size(
    hosted: HostedServer,
) -> None:
    url = await feagi_url(hosted)
    created = await add_area(hosted, url, 2)
    assert created.status_code == 200, created.text
    cortical_id = created.json()["cortical_id"]

    refused = await hosted.http.put(f"{url}/v1/cortical_area/cortical_area", json={
        "cortical_id": cortical_id, "cortical_dimensions": [20, 20, 20]})

    assert refused.status_code == 403 and "max_neurons" in refused.json()["message"]
    area = await properties(hosted, url, cortical_id)
    assert (area["cortical_dimensions"], area["neuron_count"]) == ([2, 2, 2], 8)


async def test_resizing_an_area_within_the_quota_is_applied(hosted: HostedServer) -> None:
    url = await feagi_url(hosted)
    cortical_id = (await add_area(hosted, url, 2)).json()["cortical_id"]

    resized = await hosted.http.put(f"{url}/v1/cortical_area/cortical_area", json={
        "cortical_id": cortical_id, "cortical_dimensions": [9, 9, 9]})

    assert resized.status_code == 200, resized.text
    assert (await properties(hosted, url, cortical_id))["neuron_count"] == 729


async def test_a_genome_upload_past_the_quota_answers_403_and_keeps_the_genome(
    hosted: HostedServer,
) -> None:
    url = await feagi_url(hosted)
    before = (await hosted.http.get(f"{url}/v1/genome/download")).content

    refused = await hosted.http.post(f"{url}/v1/genome/upload", json=essential_document())

    assert refused.status_code == 403 and "max_neurons" in refused.json()["message"]
    assert (await hosted.http.get(f"{url}/v1/genome/download")).content == before
