"""Our answers have the keys and JSON types of FEAGI engine 0.0.67's answers.

The reference answers were recorded from the real engine (``reference/``, see its
``engine`` note) with the same genome; each test sends the recorded request to brainhost
and compares the shape (keys, JSON types, element types of lists; maps keyed by cortical
id compared by their values). Where brainhost deliberately leaves keys out, the test
names them: they are the differences listed in docs/feagi-api.md.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from feagi_support import REFERENCE, FeagiServer

_ID_KEY = re.compile(r"^[A-Za-z0-9+/]{11}=$")


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


def differences(ours: Any, theirs: Any, at: str = "$") -> list[str]:
    """Where ``ours`` does not have the shape of ``theirs`` (empty: same shape)."""
    if _kind(ours) != _kind(theirs):
        return [f"{at}: {_kind(ours)} instead of {_kind(theirs)}"]
    if isinstance(theirs, list):
        found: list[str] = []
        for sample in theirs[:1]:
            for item in ours:
                found += differences(item, sample, f"{at}[]")
        return sorted(set(found))
    if isinstance(theirs, dict):
        if theirs and all(_ID_KEY.match(k) for k in theirs):
            sample = next(iter(theirs.values()))
            found = [f"{at}: key {k!r} is not a base64 cortical id" for k in ours
                     if not _ID_KEY.match(k)]
            for item in ours.values():
                found += differences(item, sample, f"{at}[id]")
            return sorted(set(found))
        found = [f"{at}.{k}: missing" for k in theirs if k not in ours]
        found += [f"{at}.{k}: not in FEAGI's answer" for k in ours if k not in theirs]
        for key in theirs:
            if key in ours:
                found += differences(ours[key], theirs[key], f"{at}.{key}")
        return found
    return []


async def replay(server: FeagiServer, name: str) -> tuple[int, Any, Any]:
    exchange = REFERENCE[name]
    path = exchange["path"]
    method = exchange["method"]
    if method == "GET":
        answer = await server.get(path)
    else:
        answer = await server.http.request(method, f"{server.url}{path}",
                                           json=exchange.get("request"))
    return answer.status_code, answer.json(), exchange


READ_ONLY = [
    "health_check",
    "cortical_area_id_list",
    "cortical_area_name_list",
    "cortical_area_properties_core",
    "cortical_area_properties_custom",
    "cortical_area_properties_legacy_id",
    "burst_counter",
    "simulation_timestep_get",
    "burst_engine_stats",
    "fire_queue",
    "morphology_list",
    "connectome_stats",
    "neuron_properties",
    "neuron_properties_by_path",
]


@pytest.mark.parametrize("name", READ_ONLY)
async def test_read_answers_have_feagi_shape(essential: FeagiServer, name: str) -> None:
    if name == "fire_queue":
        await essential.access.call(lambda brain: brain.step(1))
    status, body, exchange = await replay(essential, name)
    assert status == exchange["status"]
    assert differences(body, exchange["response"]) == []


# Coding settings of I/O areas: brainhost has no per-area coding configuration.
IO_CODING_KEYS = ["coding_behavior", "coding_options", "coding_signage", "coding_type",
                  "encoding_format", "encoding_type"]


@pytest.mark.parametrize(("name", "left_out"), [
    ("cortical_area_properties_opu", IO_CODING_KEYS),
    ("cortical_area_properties_ipu", [*IO_CODING_KEYS, "sensory_hold_last_frame"]),
])
async def test_io_area_properties_have_feagi_shape_except_coding(
        essential: FeagiServer, name: str, left_out: list[str]) -> None:
    status, body, exchange = await replay(essential, name)
    assert status == 200
    assert differences(body, exchange["response"]) == [f"$.{k}: missing" for k in left_out]


async def test_ids_names_and_counts_match_the_engine(essential: FeagiServer) -> None:
    for name in ("cortical_area_id_list", "cortical_area_name_list", "connectome_stats"):
        _, body, exchange = await replay(essential, name)
        if isinstance(body, dict) and name.endswith("list"):
            key = next(iter(body))
            assert sorted(body[key]) == sorted(exchange["response"][key])
        else:
            assert body == exchange["response"]


async def test_morphology_list_is_the_genomes_part_of_the_engines(
        essential: FeagiServer) -> None:
    _, body, exchange = await replay(essential, "morphology_list")
    ours = body["morphology_list"]
    assert ours == sorted(ours)
    # The engine adds its built-in library; we list what this brain's genome defines.
    assert set(ours) <= set(exchange["response"]["morphology_list"])
    assert len(ours) == 56


async def test_area_properties_match_the_engine_values(essential: FeagiServer) -> None:
    _, body, exchange = await replay(essential, "cortical_area_properties_custom")
    theirs = exchange["response"]
    same = ["cortical_id", "cortical_id_s", "cortical_name", "cortical_group", "cortical_type",
            "cortical_dimensions", "coordinates_3d", "neuron_count", "incoming_synapse_count",
            "outgoing_synapse_count", "neuron_post_synaptic_potential",
            "neuron_post_synaptic_potential_max", "neuron_leak_coefficient",
            "neuron_mp_charge_accumulation", "neuron_psp_uniform_distribution"]
    assert {k: body[k] for k in same} == {k: theirs[k] for k in same}
    assert body["properties"]["cortical_mapping_dst"].keys() == (
        theirs["properties"]["cortical_mapping_dst"].keys())


async def test_health_check_counts_match_the_engine(essential: FeagiServer) -> None:
    _, body, exchange = await replay(essential, "health_check")
    counts = ["cortical_area_count", "neuron_count", "regular_neuron_count", "synapse_count"]
    assert {k: body[k] for k in counts} == {k: exchange["response"][k] for k in counts}


@pytest.mark.parametrize(("name", "request_body"), [
    ("custom_cortical_area", {"cortical_name": "sdk_area", "cortical_dimensions": [2, 3, 4],
                              "coordinates_3d": [1, 2, 3]}),
])
async def test_created_area_answers_have_feagi_shape(
        essential: FeagiServer, name: str, request_body: dict[str, Any]) -> None:
    exchange = REFERENCE[name]
    created = await essential.post(exchange["path"], request_body)
    assert created.status_code == 200
    assert differences(created.json(), exchange["response"]) == []
    new_id = created.json()["cortical_id"]

    put = await essential.put("/v1/cortical_area/cortical_area",
                              {"cortical_id": new_id, "cortical_name": "renamed"})
    assert differences(put.json(), REFERENCE["cortical_area_put"]["response"]) == []
    deleted = await essential.delete("/v1/cortical_area/cortical_area", {"cortical_id": new_id})
    assert deleted.json() == REFERENCE["cortical_area_delete"]["response"]


async def test_control_answers_match_the_engine(essential: FeagiServer) -> None:
    for name in ("simulation_timestep_post", "burst_engine_start", "burst_engine_stop"):
        status, body, exchange = await replay(essential, name)
        assert (status, body) == (exchange["status"], exchange["response"])


async def test_stimulation_answers_match_the_engine(essential: FeagiServer) -> None:
    for name in ("manual_stimulation", "manual_stimulation_unknown_area"):
        status, body, exchange = await replay(essential, name)
        assert (status, body) == (exchange["status"], exchange["response"])


async def test_genome_answers_have_feagi_shape(essential: FeagiServer) -> None:
    download = await essential.get("/v1/genome/download")
    assert download.headers["content-type"] == "application/vnd.feagi.genome+json"
    reference = REFERENCE["genome_download"]["response_top_level_types"]
    ours = {k: type(v).__name__ for k, v in download.json().items()}
    # feagi-core's own bookkeeping keys we do not keep (docs/feagi-api.md).
    left_out = {"change_history", "classifiers", "genome_schema_version", "modulators"}
    assert {k: v for k, v in reference.items() if k not in left_out} == ours
