"""Workspaces over HTTP on the real app: lifecycle, members, apps, domains, errors."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest
from tenancy_fixtures import Mailbox, bearer, login

_n = itertools.count()


@pytest.fixture
async def owner(api: httpx.AsyncClient, mailbox: Mailbox, new_email) -> dict[str, Any]:
    body = await login(api, mailbox, new_email("owner"))
    body["headers"] = bearer(body["access_token"])
    return body


@pytest.fixture
async def ws(api: httpx.AsyncClient, owner: dict[str, Any]) -> dict[str, Any]:
    answer = await api.post(
        "/v1/workspaces",
        json={"name": "Acme", "slug": f"acme-{next(_n)}"},
        headers=owner["headers"],
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_create_list_get_rename(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    assert ws["role"] == "owner"
    listed = await api.get("/v1/workspaces", headers=owner["headers"])
    assert [w["id"] for w in listed.json()["workspaces"]] == [ws["id"]]
    got = await api.get(f"/v1/workspaces/{ws['id']}", headers=owner["headers"])
    assert got.json()["slug"] == ws["slug"]
    renamed = await api.patch(
        f"/v1/workspaces/{ws['id']}", json={"name": "Acme Labs"}, headers=owner["headers"]
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Acme Labs"


async def test_a_taken_slug_is_409_naming_slug(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    answer = await api.post(
        "/v1/workspaces", json={"name": "Again", "slug": ws["slug"]}, headers=owner["headers"]
    )
    assert answer.status_code == 409
    assert answer.json()["error"]["fields"] == {"slug": "already taken"}


async def test_a_bad_slug_is_422_naming_slug(api: httpx.AsyncClient, owner: dict[str, Any]) -> None:
    answer = await api.post(
        "/v1/workspaces", json={"name": "x", "slug": "Not Valid"}, headers=owner["headers"]
    )
    assert answer.status_code == 422 and "slug" in answer.json()["error"]["fields"]


async def test_delete_requires_the_slug_and_removes_the_workspace(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    url = f"/v1/workspaces/{ws['id']}"
    unconfirmed = await api.delete(url, headers=owner["headers"])
    assert unconfirmed.status_code == 422
    assert "confirm" in unconfirmed.json()["error"]["fields"]
    wrong = await api.delete(url, params={"confirm": "nope"}, headers=owner["headers"])
    assert wrong.status_code == 422
    assert (
        await api.put(f"{url}/domains/acme{next(_n)}.example", headers=owner["headers"])
    ).status_code == 200
    done = await api.delete(url, params={"confirm": ws["slug"]}, headers=owner["headers"])
    assert done.status_code == 204
    assert (await api.get(url, headers=owner["headers"])).status_code == 404
    listed = await api.get("/v1/workspaces", headers=owner["headers"])
    assert listed.json()["workspaces"] == []


async def test_an_invitation_becomes_a_membership_at_login(
    api: httpx.AsyncClient,
    mailbox: Mailbox,
    owner: dict[str, Any],
    ws: dict[str, Any],
    new_email,
) -> None:
    address = new_email("invitee")
    invited = await api.post(
        f"/v1/workspaces/{ws['id']}/members",
        json={"email": address, "role": "admin"},
        headers=owner["headers"],
    )
    assert invited.status_code == 201 and invited.json()["status"] == "pending"
    body = await login(api, mailbox, address)
    assert [(w["id"], w["role"]) for w in body["workspaces"]] == [(ws["id"], "admin")]
    members = await api.get(f"/v1/workspaces/{ws['id']}/members", headers=owner["headers"])
    statuses = {m["email"]: m["status"] for m in members.json()["members"] if m["email"]}
    assert statuses[address] == "active"


async def test_the_last_owner_cannot_be_demoted_or_leave(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    members = await api.get(f"/v1/workspaces/{ws['id']}/members", headers=owner["headers"])
    (me,) = members.json()["members"]
    url = f"/v1/workspaces/{ws['id']}/members/{me['id']}"
    demoted = await api.patch(url, json={"role": "member"}, headers=owner["headers"])
    assert demoted.status_code == 409 and demoted.json()["error"]["code"] == "last_owner"
    left = await api.delete(url, headers=owner["headers"])
    assert left.status_code == 409


async def test_a_member_may_leave_but_not_remove_others(
    api: httpx.AsyncClient,
    mailbox: Mailbox,
    owner: dict[str, Any],
    ws: dict[str, Any],
    new_email,
) -> None:
    member = await login(api, mailbox, new_email("member"))
    seat = await api.post(
        f"/v1/workspaces/{ws['id']}/members",
        json={"email": member["user"]["email"], "role": "member"},
        headers=owner["headers"],
    )
    assert seat.json()["status"] == "active"
    members = await api.get(f"/v1/workspaces/{ws['id']}/members", headers=owner["headers"])
    owner_seat = next(m for m in members.json()["members"] if m["role"] == "owner")
    headers = bearer(member["access_token"])
    refused = await api.delete(
        f"/v1/workspaces/{ws['id']}/members/{owner_seat['id']}", headers=headers
    )
    assert refused.status_code == 403
    left = await api.delete(
        f"/v1/workspaces/{ws['id']}/members/{seat.json()['id']}", headers=headers
    )
    assert left.status_code == 204
    assert (await api.get(f"/v1/workspaces/{ws['id']}", headers=headers)).status_code == 404


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "member"}, "email"),
        ({"email": "a@example.org", "role": "king"}, "role"),
        ({"kind": "digital", "role": "member"}, "brain_id"),
        ({"kind": "robot", "role": "member"}, "kind"),
    ],
)
async def test_bad_member_requests_name_the_field(
    api: httpx.AsyncClient,
    owner: dict[str, Any],
    ws: dict[str, Any],
    payload: dict[str, Any],
    field: str,
) -> None:
    answer = await api.post(
        f"/v1/workspaces/{ws['id']}/members", json=payload, headers=owner["headers"]
    )
    assert answer.status_code == 422
    assert field in answer.json()["error"]["fields"]


async def test_a_digital_human_needs_a_brain_of_the_workspace(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    answer = await api.post(
        f"/v1/workspaces/{ws['id']}/members",
        json={"kind": "digital", "brain_id": "brn_nope", "role": "member"},
        headers=owner["headers"],
    )
    assert answer.status_code == 404


async def test_apps_install_validate_and_uninstall(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    catalogue = await api.get("/v1/apps", headers=owner["headers"])
    assert {a["id"] for a in catalogue.json()["apps"]} == {"mail-responder", "notes"}
    url = f"/v1/workspaces/{ws['id']}/apps"
    bad = await api.post(
        url,
        json={"app_id": "mail-responder", "settings": {"max_replies_per_hour": "lots"}},
        headers=owner["headers"],
    )
    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {"settings", "settings.max_replies_per_hour"}
    unknown = await api.post(url, json={"app_id": "nope"}, headers=owner["headers"])
    assert unknown.status_code == 404
    good = await api.post(
        url,
        json={"app_id": "mail-responder", "settings": {"mailbox": "hi@acme.example"}},
        headers=owner["headers"],
    )
    assert good.status_code == 201 and good.json()["version"] == "1.2.0"
    listed = await api.get(url, headers=owner["headers"])
    assert [a["app_id"] for a in listed.json()["apps"]] == ["mail-responder"]
    assert (await api.delete(f"{url}/mail-responder", headers=owner["headers"])).status_code == 204
    assert (await api.delete(f"{url}/mail-responder", headers=owner["headers"])).status_code == 404


async def test_app_settings_bodies_are_size_limited(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    answer = await api.post(
        f"/v1/workspaces/{ws['id']}/apps",
        json={"app_id": "notes", "settings": {"text": "x" * 70_000}},
        headers=owner["headers"],
    )
    assert answer.status_code == 413


async def test_workspace_bodies_are_size_limited(
    api: httpx.AsyncClient, owner: dict[str, Any]
) -> None:
    answer = await api.post(
        "/v1/workspaces", json={"name": "x" * 10_000, "slug": "big"}, headers=owner["headers"]
    )
    assert answer.status_code == 413


async def test_a_domain_belongs_to_one_workspace(
    api: httpx.AsyncClient,
    mailbox: Mailbox,
    owner: dict[str, Any],
    ws: dict[str, Any],
    new_email,
) -> None:
    other = await login(api, mailbox, new_email("rival"))
    rival_ws = await api.post(
        "/v1/workspaces",
        json={"name": "Rival", "slug": f"rival-{next(_n)}"},
        headers=bearer(other["access_token"]),
    )
    domain = f"shop{next(_n)}.example"
    mine = await api.put(
        f"/v1/workspaces/{ws['id']}/domains/{domain.upper()}", headers=owner["headers"]
    )
    assert mine.status_code == 200 and mine.json()["domain"] == domain
    theirs = await api.put(
        f"/v1/workspaces/{rival_ws.json()['id']}/domains/{domain}",
        headers=bearer(other["access_token"]),
    )
    assert theirs.status_code == 409 and "domain" in theirs.json()["error"]["fields"]
    listed = await api.get(f"/v1/workspaces/{ws['id']}/domains", headers=owner["headers"])
    assert [d["domain"] for d in listed.json()["domains"]] == [domain]
    released = await api.delete(
        f"/v1/workspaces/{ws['id']}/domains/{domain}", headers=owner["headers"]
    )
    assert released.status_code == 204
    retaken = await api.put(
        f"/v1/workspaces/{rival_ws.json()['id']}/domains/{domain}",
        headers=bearer(other["access_token"]),
    )
    assert retaken.status_code == 200


async def test_a_bad_domain_is_422(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    answer = await api.put(f"/v1/workspaces/{ws['id']}/domains/localhost", headers=owner["headers"])
    assert answer.status_code == 422 and "domain" in answer.json()["error"]["fields"]


async def test_the_openapi_document_lists_the_tenancy_routes(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    assert "/v1/workspaces/{ws}/members/{member}" in document["paths"]
    assert "/v1/auth/verify" in document["paths"]


async def test_re_slugging_to_a_taken_slug_is_409(
    api: httpx.AsyncClient, owner: dict[str, Any], ws: dict[str, Any]
) -> None:
    other = await api.post(
        "/v1/workspaces",
        json={"name": "Other", "slug": f"other-{next(_n)}"},
        headers=owner["headers"],
    )
    answer = await api.patch(
        f"/v1/workspaces/{ws['id']}",
        json={"slug": other.json()["slug"]},
        headers=owner["headers"],
    )
    assert answer.status_code == 409 and "slug" in answer.json()["error"]["fields"]
    moved = await api.patch(
        f"/v1/workspaces/{ws['id']}",
        json={"slug": f"moved-{next(_n)}"},
        headers=owner["headers"],
    )
    assert moved.status_code == 200 and moved.json()["slug"].startswith("moved-")
