"""Bad keys, bad paths and bad input get FEAGI-shaped errors naming what is wrong."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import structlog
import websockets
from feagi_support import (
    FeagiServer,
    barebones_brain,
    developed,
    essential_brain,
    essential_document,
)
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from app.errors import exception_handlers
from app.feagi import FeagiApp, LocalBrainAccess, StaticKeyResolver, new_key
from app.metrics import HttpMetrics
from app.middleware import RequestContextMiddleware


def error(answer: httpx.Response) -> tuple[int, str]:
    body = answer.json()
    assert set(body) >= {"code", "message"}
    assert body["code"] == answer.status_code
    return answer.status_code, str(body["message"])


# --------------------------------------------------------------------------- keys and paths


@pytest.mark.parametrize("path", ["/v1/system/health_check", "/v1/no/such/route"])
async def test_an_unknown_key_is_refused_whatever_the_path(
        barebones: FeagiServer, path: str) -> None:
    answer = await barebones.http.get(f"{barebones.origin}/feagi/{new_key()}{path}")
    status, message = error(answer)
    assert status == 401
    assert "unknown or revoked FEAGI key" in message


async def test_each_key_opens_only_its_own_brain() -> None:
    small = LocalBrainAccess(await developed(barebones_brain))
    large = LocalBrainAccess(await developed(essential_brain))
    small_key, large_key = new_key(), new_key()
    app = Starlette(routes=[Mount("/feagi/{key}", app=FeagiApp(
        lambda scope: StaticKeyResolver({small_key: small, large_key: large})))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feagi.test") as client:
        path = "/v1/cortical_area/cortical_area_id_list"
        small_ids = (await client.get(f"/feagi/{small_key}{path}")).json()["cortical_ids"]
        large_ids = (await client.get(f"/feagi/{large_key}{path}")).json()["cortical_ids"]
        assert (len(small_ids), len(large_ids)) == (7, 30)
        answer = await client.post(f"/feagi/{small_key}/v1/cortical_area/cortical_area_properties",
                                   json={"cortical_id": "Y19fZm9yX18="})
        assert error(answer)[0] == 404


async def test_an_unknown_route_names_itself(barebones: FeagiServer) -> None:
    status, message = error(await barebones.get("/v1/genome/amalgamation_history"))
    assert status == 404
    assert "GET /v1/genome/amalgamation_history is not a FEAGI route" in message
    assert barebones.key not in message


async def test_a_wrong_method_is_405_in_feagi_shape(barebones: FeagiServer) -> None:
    assert error(await barebones.post("/v1/system/health_check", {}))[0] == 405


async def test_the_key_never_reaches_the_access_log_or_metrics() -> None:
    key = new_key()
    access = LocalBrainAccess(await developed(barebones_brain))
    registry = CollectorRegistry()
    app = Starlette(
        routes=[Mount("/feagi/{key}", app=FeagiApp(
            lambda scope: StaticKeyResolver({key: access})))],
        middleware=[Middleware(RequestContextMiddleware, metrics=HttpMetrics.create(registry))],
    )
    transport = httpx.ASGITransport(app=app)
    with structlog.testing.capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://feagi.test") as client:
            assert (await client.get(f"/feagi/{key}/v1/burst_engine/burst_counter")).json() == 0
            await client.get(f"/feagi/{key}/v1/nowhere")
            await client.get(f"/feagi/{new_key()}/v1/burst_engine/burst_counter")
    paths = [entry["path"] for entry in logs if entry.get("event") == "request"]
    assert paths == ["/feagi/***/v1/burst_engine/burst_counter", "/feagi/***/v1/nowhere",
                     "/feagi/***/v1/burst_engine/burst_counter"]
    assert key not in repr(logs)
    labels = [sample.labels for metric in registry.collect() for sample in metric.samples
              if sample.name == "brainhost_http_requests_total"]
    assert {label["route"] for label in labels} == {"/feagi/{key}"}


# --------------------------------------------------------------------------- bodies


async def test_a_body_that_is_not_json_is_400(barebones: FeagiServer) -> None:
    answer = await barebones.http.post(
        f"{barebones.url}/v1/cortical_area/cortical_area_properties", content=b"{nope",
        headers={"content-type": "application/json"})
    status, message = error(answer)
    assert status == 400
    assert "not valid JSON" in message


async def test_a_body_that_is_not_an_object_is_422(barebones: FeagiServer) -> None:
    status, message = error(await barebones.post("/v1/cortical_area/cortical_area_properties",
                                                 ["X19fcG93ZXI="]))
    assert (status, message) == (422, "request body must be a JSON object, got list")


async def test_a_body_over_the_limit_is_413(barebones: FeagiServer) -> None:
    big = {"cortical_id": "x" * 1_100_000}
    status, message = error(await barebones.post("/v1/cortical_area/cortical_area_properties",
                                                 big))
    assert (status, message) == (413, "request body exceeds 1048576 bytes")


async def test_a_genome_over_the_limit_is_413(barebones: FeagiServer) -> None:
    answer = await barebones.http.post(f"{barebones.url}/v1/genome/upload",
                                       content=b" " * (16 * 1024 * 1024 + 1))
    assert error(answer) == (413, "request body exceeds 16777216 bytes")


# --------------------------------------------------------------------------- cortical areas


async def test_properties_without_an_id_say_so(barebones: FeagiServer) -> None:
    status, message = error(await barebones.post("/v1/cortical_area/cortical_area_properties",
                                                 {}))
    assert status == 400
    assert message.startswith("cortical_id required")


async def test_properties_of_an_unknown_area_name_it(barebones: FeagiServer) -> None:
    status, message = error(await barebones.post("/v1/cortical_area/cortical_area_properties",
                                                 {"cortical_id": "bm9wZV9fX18="}))
    assert (status, message) == (
        404, "cortical_id: no cortical area 'bm9wZV9fX18=' in this brain")


async def test_an_area_answers_to_its_genome_and_8_byte_ids(barebones: FeagiServer) -> None:
    for given in ("___pwr", "___power", "X19fcG93ZXI="):
        body = (await barebones.post("/v1/cortical_area/cortical_area_properties",
                                     {"cortical_id": given})).json()
        assert (body["cortical_id"], body["cortical_id_s"]) == (given, "X19fcG93ZXI=")


@pytest.mark.parametrize(("body", "field"), [
    ({"cortical_name": "a", "cortical_dimensions": [0, 1, 1]}, "cortical_dimensions[0]"),
    ({"cortical_name": "a", "cortical_dimensions": [1, 1]}, "cortical_dimensions[2]"),
    ({"cortical_name": "a", "cortical_dimensions": [1, 1, "1"]}, "cortical_dimensions[2]"),
    ({"cortical_dimensions": [1, 1, 1]}, "cortical_name"),
])
async def test_a_bad_custom_area_is_422_naming_the_field(
        barebones: FeagiServer, body: dict[str, Any], field: str) -> None:
    answer = await barebones.post("/v1/cortical_area/custom_cortical_area", body)
    status, message = error(answer)
    assert status == 422
    assert field in answer.json()["errors"]
    assert f"{field}:" in message


async def test_a_custom_area_in_an_unknown_region_is_404(barebones: FeagiServer) -> None:
    answer = await barebones.post("/v1/cortical_area/custom_cortical_area", {
        "cortical_name": "a", "cortical_dimensions": [1, 1, 1], "brain_region_id": "nope"})
    status, message = error(answer)
    assert status == 404
    assert "nope" in message


async def test_a_custom_area_over_the_neuron_limit_is_422(barebones: FeagiServer) -> None:
    answer = await barebones.post("/v1/cortical_area/custom_cortical_area", {
        "cortical_name": "huge", "cortical_dimensions": [10_000, 10_000, 10_000]})
    status, message = error(answer)
    assert status == 422
    assert "limit" in message


async def test_a_memory_area_is_created_with_a_memory_id(barebones: FeagiServer) -> None:
    created = (await barebones.post("/v1/cortical_area/custom_cortical_area", {
        "cortical_name": "mem", "cortical_dimensions": [1, 1, 1],
        "sub_group_id": "MEMORY"})).json()
    body = (await barebones.post("/v1/cortical_area/cortical_area_properties",
                                 {"cortical_id": created["cortical_id"]})).json()
    assert (body["cortical_group"], body["cortical_type"], body["neuron_count"]) == (
        "MEMORY", "memory", 0)
    assert body["properties"]["is_mem_type"] is True


async def test_an_update_with_an_unknown_property_changes_nothing(
        essential: FeagiServer) -> None:
    path = "/v1/cortical_area/cortical_area"
    status, message = error(await essential.put(path, {
        "cortical_id": "Y19fZm9yX18=", "cortical_name": "x", "bogus_field": 3}))
    assert status == 400
    assert "['bogus_field']" in message
    body = (await essential.post("/v1/cortical_area/cortical_area_properties",
                                 {"cortical_id": "Y19fZm9yX18="})).json()
    assert body["cortical_name"] == "forward"


@pytest.mark.parametrize(("change", "words"), [
    ({"cortical_dimensions": [0, 1, 1]}, "dimensions"),
    ({"neuron_fire_threshold": "high"}, "firing_threshold"),
    ({"coordinates_2d": [1]}, "coordinates_2d"),
    ({"parent_region_id": "elsewhere"}, "parent_region_id"),
])
async def test_a_bad_update_is_400_naming_the_property(
        essential: FeagiServer, change: dict[str, Any], words: str) -> None:
    status, message = error(await essential.put(
        "/v1/cortical_area/cortical_area", {"cortical_id": "Y19fZm9yX18=", **change}))
    assert status == 400
    assert words in message


async def test_an_update_accepts_properties_read_back_unchanged(essential: FeagiServer) -> None:
    read = (await essential.post("/v1/cortical_area/cortical_area_properties",
                                 {"cortical_id": "Y19fZm9yX18="})).json()
    answer = await essential.put("/v1/cortical_area/cortical_area",
                                 {**read, "neuron_fire_threshold": 0.5})
    assert answer.status_code == 200, answer.text
    after = (await essential.post("/v1/cortical_area/cortical_area_properties",
                                  {"cortical_id": "Y19fZm9yX18="})).json()
    assert {k: v for k, v in after.items() if k != "neuron_fire_threshold"} == {
        k: v for k, v in read.items() if k != "neuron_fire_threshold"}
    assert after["neuron_fire_threshold"] == 0.5


async def test_a_core_area_cannot_be_deleted(barebones: FeagiServer) -> None:
    status, message = error(await barebones.delete("/v1/cortical_area/cortical_area",
                                                   {"cortical_id": "X19fcG93ZXI="}))
    assert status == 400
    assert "core area" in message


async def test_deleting_an_unknown_area_is_404(barebones: FeagiServer) -> None:
    assert error(await barebones.delete("/v1/cortical_area/cortical_area",
                                        {"cortical_id": "Y19fZm9yX18="}))[0] == 404


# --------------------------------------------------------------------------- genome


async def test_an_invalid_genome_is_422_with_every_error_and_changes_nothing(
        barebones: FeagiServer) -> None:
    document = essential_document()
    document["blueprint"]["_____10c-c__for-cx-___bbx-i"] = 0
    del document["physiology"]
    answer = await barebones.post("/v1/genome/upload", document)
    status, message = error(answer)
    assert status == 422
    assert message.startswith("invalid genome:")
    paths = [e["path"] for e in answer.json()["errors"]]
    assert any("c__for" in p for p in paths)
    ids = (await barebones.get("/v1/cortical_area/cortical_area_id_list")).json()
    assert len(ids["cortical_ids"]) == 7


# --------------------------------------------------------------------------- burst engine


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"simulation_timestep": -1}, 400,
     "simulation_timestep must be finite and > 0 seconds, got -1"),
    ({"simulation_timestep": 0.000001}, 400, "frequency must be in (0, 100000] Hz"),
    ({}, 422, "simulation_timestep"),
    ({"simulation_timestep": "fast"}, 422, "simulation_timestep"),
])
async def test_a_bad_timestep_is_refused(barebones: FeagiServer, body: dict[str, Any],
                                         status: int, words: str) -> None:
    answer = await barebones.post("/v1/burst_engine/simulation_timestep", body)
    got, message = error(answer)
    assert got == status
    assert words in message
    assert (await barebones.get("/v1/burst_engine/simulation_timestep")).json() == 0.025


@pytest.mark.parametrize(("body", "field"), [
    ({}, "stimulation_payload"),
    ({"stimulation_payload": {"X19fcG93ZXI=": [[0, 0]]}},
     "stimulation_payload.X19fcG93ZXI=[0][2]"),
    ({"stimulation_payload": {"X19fcG93ZXI=": [[0, 0, 0.5]]}},
     "stimulation_payload.X19fcG93ZXI=[0][2]"),
])
async def test_a_bad_stimulation_is_422_naming_the_field(
        barebones: FeagiServer, body: dict[str, Any], field: str) -> None:
    answer = await barebones.post("/v1/agent/manual_stimulation", body)
    assert error(answer)[0] == 422
    assert field in answer.json()["errors"]


async def test_stimulating_outside_an_area_matches_nothing(barebones: FeagiServer) -> None:
    answer = (await barebones.post("/v1/agent/manual_stimulation", {
        "stimulation_payload": {"X19fcG93ZXI=": [[5, 0, 0]]}})).json()
    assert answer == {"success": False, "total_coordinates": 0, "requested_coordinates": 1,
                      "matched_coordinates": 0, "unique_neuron_ids": 0, "mode": "force_fire",
                      "successful_areas": 1, "failed_areas": []}


# --------------------------------------------------------------------------- mappings, neurons


async def test_afferents_and_efferents_list_mapped_areas(essential: FeagiServer) -> None:
    out = (await essential.post("/v1/cortical_mapping/efferents",
                                {"cortical_area": "Y19fZm9yX18="})).json()
    assert sorted(out) == sorted(["Y1JTTW90X18=", "Y0tRTTJfX18=", "Y080TTNfX18=",
                                  "Y1RHTTRfX18="])
    into = (await essential.post("/v1/cortical_mapping/afferents",
                                 {"cortical_area": "Y1JTTW90X18="})).json()
    assert into == ["Y19fZm9yX18="]
    status, _ = error(await essential.post("/v1/cortical_mapping/afferents", {}))
    assert status == 400


@pytest.mark.parametrize(("query", "status", "message"), [
    ("", 400, "neuron_id required"),
    ("?neuron_id=abc", 400, "neuron_id must be a non-negative integer, got 'abc'"),
    ("?neuron_id=-1", 400, "neuron_id must be a non-negative integer, got '-1'"),
    ("?neuron_id=99999999", 404, "Neuron '99999999' not found"),
])
async def test_bad_neuron_ids_are_refused(barebones: FeagiServer, query: str, status: int,
                                          message: str) -> None:
    answer = await barebones.get(f"/v1/connectome/neuron_properties{query}")
    assert error(answer) == (status, message)


async def test_neuron_properties_describe_the_neuron(essential: FeagiServer) -> None:
    index = (await essential.post("/v1/cortical_area/cortical_area_properties",
                                  {"cortical_id": "X19fcG93ZXI="})).json()["cortical_idx"]
    neuron = await essential.access.call(lambda b: b.connectome.neuron_range("_power").start)
    body = (await essential.get(f"/v1/connectome/neuron/{neuron}/properties")).json()
    assert (body["neuron_id"], body["cortical_area"], body["x"], body["y"], body["z"]) == (
        neuron, index, 0, 0, 0)


async def test_without_a_key_store_the_api_is_503() -> None:
    app = Starlette(routes=[Mount("/feagi/{key}", app=FeagiApp(lambda scope: None))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://feagi.test") as client:
        answer = await client.get(f"/feagi/{new_key()}/v1/system/health_check")
    assert error(answer)[0] == 503


async def test_a_websocket_under_feagi_is_refused(barebones: FeagiServer) -> None:
    url = barebones.url.replace("http://", "ws://") + "/v1/ws"
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        async with websockets.connect(url):
            pass
    assert refused.value.response.status_code == 403


async def test_an_internal_error_is_logged_without_the_key() -> None:
    key = new_key()

    def broken(scope: Any) -> Any:
        raise RuntimeError("key store down")

    app = Starlette(routes=[Mount("/feagi/{key}", app=FeagiApp(broken))],
                    exception_handlers=exception_handlers())
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    with structlog.testing.capture_logs() as logs:
        async with httpx.AsyncClient(transport=transport, base_url="http://feagi.test") as client:
            answer = await client.get(f"/feagi/{key}/v1/system/health_check")
    assert answer.status_code == 500
    assert [e["path"] for e in logs if e.get("event") == "unhandled_error"] == [
        "/feagi/***/v1/system/health_check"]
    assert key not in repr(logs)
