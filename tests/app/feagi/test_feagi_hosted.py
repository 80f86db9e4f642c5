"""FEAGI keys issued over the REST API open one hosted brain, and only while they live.

The whole brainhost app runs under uvicorn (real store, brain host, logins over HTTP);
FEAGI's SDK is given ``origin + base_path`` from the key answer, nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread
from feagi.genome.api import GenomeAPI, GenomeAPIError
from feagi_support import HostedServer, essential_document

from app.feagi.keys_routes import MAX_LIVE_KEYS_PER_BRAIN


async def sdk(fn: Callable[..., Any], *args: Any) -> Any:
    return await anyio.to_thread.run_sync(fn, *args)


async def test_the_sdk_develops_and_edits_a_hosted_brain(hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    issued = await hosted.issue(admin, brain)
    assert issued["key"].startswith("fk_")
    assert issued["base_path"] == f"/feagi/{issued['key']}"
    assert (issued["brain_id"], issued["revoked"]) == (brain, False)
    api = GenomeAPI(hosted.origin + issued["base_path"], timeout=30)

    assert len(await sdk(api.list_cortical_area_ids)) == 7
    assert (await sdk(api.upload, essential_document()))["cortical_area_count"] == 30
    created = await sdk(api.add_custom_cortical_area, "hosted_area", (2, 2, 2), (0, 0, 0))
    area = await sdk(api.get_cortical_area_properties, created["cortical_id"])
    assert (area["cortical_name"], area["neuron_count"]) == ("hosted_area", 8)

    # The host persisted the edits: its own REST view of the brain agrees.
    stats = await hosted.http.get(
        f"/v1/workspaces/{admin.workspace_id}/brains/{brain}/stats", headers=admin.headers)
    assert stats.json()["cortical_area_count"] == 31
    assert stats.json()["neuron_count"] == 55_363 + 8


async def test_the_burst_engine_runs_through_the_host(hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    url = hosted.origin + (await hosted.issue(admin, brain))["base_path"]
    assert (await hosted.http.post(f"{url}/v1/burst_engine/simulation_timestep",
                                   json={"simulation_timestep": 0.01})).status_code == 200
    assert (await hosted.http.get(f"{url}/v1/burst_engine/simulation_timestep")).json() == 0.01
    assert (await hosted.http.post(f"{url}/v1/burst_engine/start")).status_code == 200
    again = await hosted.http.post(f"{url}/v1/burst_engine/start")
    assert again.status_code == 400
    deadline = time.monotonic() + 20
    while (await hosted.http.get(f"{url}/v1/burst_engine/burst_counter")).json() < 2:
        assert time.monotonic() < deadline, "the hosted brain does not burst"
        await anyio.sleep(0.01)
    stats = (await hosted.http.get(f"{url}/v1/burst_engine/stats")).json()
    assert (stats["active"], stats["frequency_hz"]) == (True, 100.0)
    assert (await hosted.http.post(f"{url}/v1/burst_engine/stop")).status_code == 200
    assert (await hosted.http.get(f"{url}/v1/burst_engine/stats")).json()["active"] is False


async def test_a_revoked_key_answers_401_and_the_list_shows_no_secret(
        hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    issued = await hosted.issue(admin, brain)
    url = hosted.origin + issued["base_path"]
    assert (await hosted.http.get(f"{url}/v1/system/health_check")).status_code == 200

    listed = (await hosted.http.get(hosted.keys_path(admin, brain), headers=admin.headers)).json()
    assert listed == {"keys": [{"id": issued["id"], "brain_id": brain,
                                "created_at": issued["created_at"], "revoked": False}]}
    assert issued["key"] not in str(listed)

    revoked = await hosted.http.delete(f"{hosted.keys_path(admin, brain)}/{issued['id']}",
                                       headers=admin.headers)
    assert revoked.status_code == 204
    refused = await hosted.http.get(f"{url}/v1/system/health_check")
    assert refused.status_code == 401
    assert refused.json()["code"] == 401
    listed = (await hosted.http.get(hosted.keys_path(admin, brain), headers=admin.headers)).json()
    assert listed["keys"][0]["revoked"] is True
    with_sdk = GenomeAPI(url, timeout=30)
    try:
        await sdk(with_sdk.list_cortical_area_ids)
    except GenomeAPIError as exc:
        assert exc.status_code == 401
    else:
        raise AssertionError("a revoked key still opened the brain")


async def test_revoking_an_unknown_key_is_404(hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    answer = await hosted.http.delete(f"{hosted.keys_path(admin, brain)}/{'ab' * 32}",
                                      headers=admin.headers)
    assert answer.status_code == 404


async def test_a_key_opens_only_its_own_brain(hosted: HostedServer) -> None:
    admin = await hosted.admin()
    first, second = await hosted.brain(admin), await hosted.brain(admin)
    url = hosted.origin + (await hosted.issue(admin, first))["base_path"]
    assert (await hosted.http.post(f"{url}/v1/genome/upload",
                                   json=essential_document())).status_code == 200
    stats = await hosted.http.get(
        f"/v1/workspaces/{admin.workspace_id}/brains/{second}/stats", headers=admin.headers)
    assert stats.json()["cortical_area_count"] == 7


async def test_another_workspace_cannot_issue_keys_for_a_brain(hosted: HostedServer) -> None:
    owner, stranger = await hosted.admin(), await hosted.admin()
    brain = await hosted.brain(owner)
    path = f"/v1/workspaces/{stranger.workspace_id}/brains/{brain}/feagi_keys"
    answer = await hosted.http.post(path, headers=stranger.headers)
    assert answer.status_code == 404
    answer = await hosted.http.post(hosted.keys_path(owner, brain), headers=stranger.headers)
    assert answer.status_code == 404


async def test_deleting_the_brain_kills_its_keys(hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    url = hosted.origin + (await hosted.issue(admin, brain))["base_path"]
    deleted = await hosted.http.delete(f"/v1/workspaces/{admin.workspace_id}/brains/{brain}",
                                       headers=admin.headers)
    assert deleted.status_code == 204
    assert (await hosted.http.get(f"{url}/v1/system/health_check")).status_code == 401


async def test_a_brain_has_a_limited_number_of_live_keys(hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    keys = [await hosted.issue(admin, brain) for _ in range(MAX_LIVE_KEYS_PER_BRAIN)]
    refused = await hosted.http.post(hosted.keys_path(admin, brain), headers=admin.headers)
    assert refused.status_code == 403
    assert f"at most {MAX_LIVE_KEYS_PER_BRAIN} live FEAGI keys" in refused.json()["error"][
        "message"]
    await hosted.http.delete(f"{hosted.keys_path(admin, brain)}/{keys[0]['id']}",
                             headers=admin.headers)
    await hosted.issue(admin, brain)


async def test_an_invalid_genome_is_422_and_the_hosted_brain_keeps_its_own(
        hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    url = hosted.origin + (await hosted.issue(admin, brain))["base_path"]
    document = essential_document()
    document["blueprint"]["_____10c-c__for-cx-___bbx-i"] = 0
    answer = await hosted.http.post(f"{url}/v1/genome/upload", json=document)
    assert answer.status_code == 422
    assert answer.json()["errors"]
    ids = (await hosted.http.get(f"{url}/v1/cortical_area/cortical_area_id_list")).json()
    assert len(ids["cortical_ids"]) == 7


async def test_a_caller_mistake_on_a_hosted_brain_is_answered_in_feagi_shape(
        hosted: HostedServer) -> None:
    admin = await hosted.admin()
    brain = await hosted.brain(admin)
    url = hosted.origin + (await hosted.issue(admin, brain))["base_path"]
    missing = await hosted.http.post(f"{url}/v1/cortical_area/cortical_area_properties",
                                     json={"cortical_id": "Y19fZm9yX18="})
    assert missing.json() == {
        "code": 404, "message": "cortical_id: no cortical area 'Y19fZm9yX18=' in this brain"}
    core = await hosted.http.request("DELETE", f"{url}/v1/cortical_area/cortical_area",
                                     json={"cortical_id": "X19fcG93ZXI="})
    assert core.status_code == 400
    assert "core area" in core.json()["message"]
    assert (await hosted.http.get(f"{url}/v1/burst_engine/burst_counter")).json() == 0
