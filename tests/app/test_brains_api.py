"""Brain REST routes on the real app (ASGI, real SQLite store, real login over SMTP)."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
import tenancy_fixtures as _fx
from starlette.applications import Starlette

from brains.genome import genome_to_dict, load_template

smtp_server = _fx.smtp_server
mailbox = _fx.mailbox
registry_file = _fx.registry_file
_unique = itertools.count()

QUOTA_ENV = {
    "BRAINHOST_QUOTA_MAX_BRAINS": "2",
    "BRAINHOST_QUOTA_MAX_FREQUENCY_HZ": "50",
    "BRAINHOST_QUOTA_MAX_NEURONS": "60000",  # one essential brain (55,363) fits, two do not
    "BRAINHOST_GENOME_MAX_BODY_BYTES": "65536",
}


@pytest.fixture
def settings_overrides() -> dict[str, str]:
    return QUOTA_ENV


tenancy_settings = _fx.tenancy_settings
tenancy_app = _fx.tenancy_app
api = _fx.api


class Owner:
    def __init__(self, client: httpx.AsyncClient, headers: dict[str, str], ws: str) -> None:
        self.client = client
        self.headers = headers
        self.base = f"/v1/workspaces/{ws}/brains"

    async def create(self, expect: int = 201, **body: Any) -> dict[str, Any]:
        body.setdefault("name", "b")
        answer = await self.client.post(self.base, json=body, headers=self.headers)
        assert answer.status_code == expect, answer.text
        result: dict[str, Any] = answer.json()
        return result

    async def call(
        self, method: str, path: str, expect: int = 200, **kwargs: Any
    ) -> dict[str, Any]:
        answer = await self.client.request(method, self.base + path, headers=self.headers,
                                           **kwargs)
        assert answer.status_code == expect, answer.text
        return answer.json() if answer.content else {}


@pytest.fixture
async def owner(api: httpx.AsyncClient, mailbox: Any) -> Owner:
    login = await _fx.login(api, mailbox, f"brains-{next(_unique)}@example.org")
    headers = _fx.bearer(login["access_token"])
    created = await api.post(
        "/v1/workspaces", json={"name": "Lab", "slug": f"lab-{next(_unique)}"}, headers=headers
    )
    assert created.status_code == 201
    return Owner(api, headers, created.json()["id"])


async def test_create_list_get_rename_and_delete_a_brain(owner: Owner) -> None:
    created = await owner.create(name="alpha", template="barebones", frequency_hz=20)

    assert created["name"] == "alpha" and created["id"].startswith("br_")
    assert created["stats"]["cortical_area_count"] == 7 and created["state"] == "stopped"
    listed = await owner.call("GET", "")
    assert [b["id"] for b in listed["brains"]] == [created["id"]]
    renamed = await owner.call("PATCH", f"/{created['id']}", json={"name": "beta"})
    assert renamed["name"] == "beta" and renamed["frequency_hz"] == 20
    await owner.call("DELETE", f"/{created['id']}", expect=204)
    gone = await owner.call("GET", f"/{created['id']}", expect=404)
    assert gone["error"]["code"] == "brain_not_found"


async def test_creating_needs_exactly_one_of_genome_and_template(owner: Owner) -> None:
    neither = await owner.create(expect=422)
    both = await owner.create(expect=422, template="barebones",
                              genome=genome_to_dict(load_template("barebones")))
    unknown = await owner.create(expect=422, template="huge")

    assert "genome" in neither["error"]["fields"]
    assert "genome" in both["error"]["fields"]
    assert "template" in unknown["error"]["fields"]


async def test_a_brain_from_an_invalid_genome_is_refused_with_every_error(owner: Owner) -> None:
    genome = genome_to_dict(load_template("barebones"))
    genome["neuron_morphologies"] = 7
    genome["physiology"] = "fast"

    answer = await owner.create(expect=422, genome=genome)

    assert answer["error"]["code"] == "invalid_genome"
    assert {"$.neuron_morphologies", "$.physiology"} <= set(answer["error"]["fields"])
    assert (await owner.call("GET", ""))["brains"] == []


async def test_the_burst_engine_runs_and_stops(owner: Owner) -> None:
    brain = (await owner.create(template="barebones", frequency_hz=50))["id"]

    started = await owner.call("POST", f"/{brain}/burst_engine/start")
    paused = await owner.call("POST", f"/{brain}/burst_engine/pause")
    resumed = await owner.call("POST", f"/{brain}/burst_engine/resume")
    stopped = await owner.call("POST", f"/{brain}/burst_engine/stop")
    not_paused = await owner.call("POST", f"/{brain}/burst_engine/resume", expect=422)

    assert [started["state"], paused["state"], resumed["state"], stopped["state"]] == [
        "running", "paused", "running", "stopped"
    ]
    assert "not paused" in not_paused["error"]["message"]


async def test_stepping_and_stats(owner: Owner) -> None:
    brain = (await owner.create(template="barebones"))["id"]

    stepped = await owner.call("POST", f"/{brain}/step", json={"n": 3})
    stats = await owner.call("GET", f"/{brain}/stats")
    too_many = await owner.call("POST", f"/{brain}/step", json={"n": 10_001}, expect=422)

    assert stepped == {"burst_count": 3}
    assert stats == {
        "burst_count": 3, "cortical_area_count": 7, "neuron_count": 7, "synapse_count": 0,
        "frequency_hz": 10.0, "achieved_hz": 0.0, "state": "stopped",
    }
    assert "n" in too_many["error"]["fields"]


async def test_sensory_stimulation_and_motor_output(owner: Owner) -> None:
    brain = (await owner.create(template="essential"))["id"]

    sensed = await owner.call("POST", f"/{brain}/sensory",
                              json={"area": "iic000", "voxels": [[0, 0, 0, 50.0], [1, 1, 1, 2]]})
    stimulated = await owner.call("POST", f"/{brain}/stimulate",
                                  json={"area": "omot00", "voxels": [[2, 0, 0]]})
    await owner.call("POST", f"/{brain}/step", json={"n": 1})
    motor = await owner.call("GET", f"/{brain}/motor")
    bad_area = await owner.call("POST", f"/{brain}/sensory",
                                json={"area": "nope", "voxels": [[0, 0, 0, 1]]}, expect=422)
    bad_row = await owner.call("POST", f"/{brain}/sensory",
                               json={"area": "iic000", "voxels": [[0, 0]]}, expect=422)

    assert sensed == {"accepted": 2} and stimulated == {"accepted": 1}
    assert motor["burst_count"] == 1
    assert [2.0, 0.0, 0.0] in [row[:3] for row in motor["motor"]["omot00"]]
    assert "nope" in bad_area["error"]["message"]
    assert "voxels[0]" in bad_row["error"]["fields"]


async def test_an_invalid_genome_put_leaves_the_brain_unchanged(owner: Owner) -> None:
    brain = (await owner.create(template="barebones"))["id"]
    await owner.call("POST", f"/{brain}/step", json={"n": 2})
    before = await owner.call("GET", f"/{brain}/genome")
    broken = genome_to_dict(load_template("barebones"))
    broken["neuron_morphologies"] = []
    key = next(k for k in broken["blueprint"] if k.endswith("_n_cnt-i"))
    broken["blueprint"][key] = "many"

    answer = await owner.call("PUT", f"/{brain}/genome", json=broken, expect=422)

    fields = answer["error"]["fields"]
    assert "$.neuron_morphologies" in fields
    assert any(key in path for path in fields)
    assert await owner.call("GET", f"/{brain}/genome") == before
    assert (await owner.call("GET", f"/{brain}/stats"))["burst_count"] == 2


async def test_a_valid_genome_put_redevelops_the_brain(owner: Owner) -> None:
    brain = (await owner.create(template="barebones"))["id"]
    document = genome_to_dict(load_template("barebones"))
    document["genome_title"] = "Renamed barebones"

    answer = await owner.call("PUT", f"/{brain}/genome", json=document)

    assert answer["stats"]["cortical_area_count"] == 7
    assert (await owner.call("GET", f"/{brain}/genome"))["genome_title"] == "Renamed barebones"


async def test_quotas_answer_403_naming_the_quota(owner: Owner) -> None:
    await owner.create(template="barebones")
    await owner.create(template="barebones")
    third = await owner.create(expect=403, template="barebones")
    brain = (await owner.call("GET", ""))["brains"][0]["id"]
    fast = await owner.call("PATCH", f"/{brain}", json={"frequency_hz": 51}, expect=403)

    assert third["error"]["code"] == "quota_exceeded"
    assert "max_brains" in third["error"]["message"]
    assert "max_frequency_hz" in fast["error"]["message"]


async def test_a_genome_past_the_neuron_quota_answers_403_and_changes_nothing(
    owner: Owner,
) -> None:
    await owner.create(template="essential")
    brain = (await owner.create(template="barebones"))["id"]
    genome_before = await owner.call("GET", f"/{brain}/genome")
    stats_before = await owner.call("GET", f"/{brain}/stats")
    essential = genome_to_dict(load_template("essential"))

    refused = await owner.call("PUT", f"/{brain}/genome", json=essential, expect=403)

    assert refused["error"]["code"] == "quota_exceeded"
    message = refused["error"]["message"]
    assert "max_neurons" in message and "limit 60,000" in message
    assert f"{2 * 55_363:,} neurons" in message
    assert await owner.call("GET", f"/{brain}/genome") == genome_before
    assert await owner.call("GET", f"/{brain}/stats") == stats_before


async def test_genome_bodies_have_their_own_size_limit(owner: Owner) -> None:
    document = genome_to_dict(load_template("barebones"))
    document["genome_description"] = "x" * 70_000
    brain = (await owner.create(template="barebones"))["id"]

    created = await owner.create(expect=413, genome=document)
    put = await owner.call("PUT", f"/{brain}/genome", json=document, expect=413)

    assert created["error"]["code"] == put["error"]["code"] == "payload_too_large"


async def test_ordinary_bodies_keep_a_small_limit(owner: Owner) -> None:
    brain = (await owner.create(template="barebones"))["id"]

    answer = await owner.call("POST", f"/{brain}/step",
                              content=b'{"n": 1, "pad": "' + b"x" * 2048 + b'"}',
                              expect=413)

    assert answer["error"]["code"] == "payload_too_large"


async def test_deleting_a_workspace_stops_and_forgets_its_running_brains(
    owner: Owner, tenancy_app: Starlette
) -> None:
    brain = await owner.create(name="Runner", template="barebones")
    await owner.call("POST", f"/{brain['id']}/burst_engine/start")
    workspace = owner.base.split("/")[3]
    slug = (await owner.client.get(f"/v1/workspaces/{workspace}", headers=owner.headers)).json()[
        "slug"
    ]
    deleted = await owner.client.delete(
        f"/v1/workspaces/{workspace}?confirm={slug}", headers=owner.headers
    )
    assert deleted.status_code == 204, deleted.text
    host = tenancy_app.state.services.brains
    assert await host.brain_workspace(brain["id"]) is None
    assert host.scheduler.statistics().members == 0
