"""Login over HTTP on the real app: codes, verify, refresh, logout, /v1/me, JWKS."""

from __future__ import annotations

import asyncio
import base64
import re
import stat
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import jwt
import pytest
from starlette.applications import Starlette
from tenancy_fixtures import Mailbox, bearer, captured_logs, login

from app.main import create_app
from app.settings import load_settings
from tenancy.auth import AccessTokenCodec
from tenancy.store import User


async def test_code_requests_answer_the_same_for_known_and_unknown_addresses(
    api: httpx.AsyncClient, tenancy_app: Starlette, mailbox: Mailbox, new_email
) -> None:
    known, unknown = new_email("known"), new_email("unknown")
    store = tenancy_app.state.services.store
    await store.users.create(User(id="usr_known", email=known, created_at=datetime.now(UTC)))
    answers = [await api.post("/v1/auth/code", json={"email": a}) for a in (known, unknown)]
    assert [a.status_code for a in answers] == [202, 202]
    assert answers[0].json() == answers[1].json()
    assert answers[0].headers.keys() - {"x-request-id"} == answers[1].headers.keys() - {
        "x-request-id"
    }
    assert mailbox.to(known) and mailbox.to(unknown)


async def test_verify_returns_tokens_user_and_workspaces(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    body = await login(api, mailbox, address)
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    assert body["user"]["email"] == address and body["workspaces"] == []
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == body["user"]["id"] and claims["email"] == address
    assert claims["aud"] == "brainhost-api" and claims["iss"] == "brainhost"


async def test_me_describes_the_caller(api: httpx.AsyncClient, mailbox: Mailbox, new_email) -> None:
    address = new_email()
    body = await login(api, mailbox, address)
    me = await api.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["user"] == body["user"]


async def test_a_wrong_code_is_400_without_saying_why(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await api.post("/v1/auth/code", json={"email": address})
    code = mailbox.code_for(address)
    bad = f"{(int(code) + 1) % 1_000_000:06d}"
    answer = await api.post("/v1/auth/verify", json={"email": address, "code": bad})
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "invalid_code"
    never_sent = await api.post("/v1/auth/verify", json={"email": new_email(), "code": "123456"})
    assert never_sent.json()["error"] == answer.json()["error"]


async def test_a_second_send_within_sixty_seconds_is_429_with_retry_after(
    api: httpx.AsyncClient, new_email
) -> None:
    address = new_email()
    assert (await api.post("/v1/auth/code", json={"email": address})).status_code == 202
    again = await api.post("/v1/auth/code", json={"email": address})
    assert again.status_code == 429
    assert again.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(again.headers["retry-after"]) <= 60


async def test_codes_per_client_ip_are_limited(api: httpx.AsyncClient, new_email) -> None:
    statuses = [
        (await api.post("/v1/auth/code", json={"email": new_email()})).status_code
        for _ in range(31)
    ]
    assert statuses[:30] == [202] * 30
    assert statuses[30] == 429


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "email"),
        ({"email": 5}, "email"),
        ({"email": "a@example.org", "extra": 1}, "extra"),
        ({"email": "x" * 300 + "@example.org"}, "email"),
    ],
)
async def test_malformed_code_requests_are_422_naming_the_field(
    api: httpx.AsyncClient, payload: dict[str, object], field: str
) -> None:
    answer = await api.post("/v1/auth/code", json=payload)
    assert answer.status_code == 422
    assert field in answer.json()["error"]["fields"]


async def test_a_non_address_is_422_naming_email(api: httpx.AsyncClient) -> None:
    answer = await api.post("/v1/auth/code", json={"email": "not an address"})
    assert answer.status_code == 422
    assert "email" in answer.json()["error"]["fields"]


async def test_bodies_over_the_limit_are_413(api: httpx.AsyncClient) -> None:
    answer = await api.post(
        "/v1/auth/code",
        content=b'{"email": "' + b"a" * 5000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 413


async def test_invalid_json_is_400(api: httpx.AsyncClient) -> None:
    answer = await api.post("/v1/auth/verify", content=b"{nope")
    assert answer.status_code == 400


async def test_two_concurrent_verifies_of_one_code_have_one_winner(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    await api.post("/v1/auth/code", json={"email": address})
    payload = {"email": address, "code": mailbox.code_for(address)}
    answers = await asyncio.gather(*(api.post("/v1/auth/verify", json=payload) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 400]


async def test_refresh_rotates_and_reuse_revokes_everything(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    body = await login(api, mailbox, new_email())
    rotated = await api.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert rotated.status_code == 200
    fresh = rotated.json()
    assert fresh["refresh_token"] != body["refresh_token"]
    assert (await api.get("/v1/me", headers=bearer(fresh["access_token"]))).status_code == 200
    reused = await api.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert reused.status_code == 401
    assert reused.json()["error"]["code"] == "refresh_token_reused"
    after = await api.post("/v1/auth/refresh", json={"refresh_token": fresh["refresh_token"]})
    assert after.status_code == 401
    me = await api.get("/v1/me", headers=bearer(fresh["access_token"]))
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_revoked"


async def test_logout_revokes_the_token_and_the_session(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    body = await login(api, mailbox, new_email())
    headers = bearer(body["access_token"])
    assert (await api.post("/v1/auth/logout", headers=headers)).status_code == 204
    me = await api.get("/v1/me", headers=headers)
    assert me.status_code == 401 and me.json()["error"]["code"] == "token_revoked"
    assert me.headers["www-authenticate"].startswith("Bearer")
    refresh = await api.post("/v1/auth/refresh", json={"refresh_token": body["refresh_token"]})
    assert refresh.status_code == 401


async def test_logout_needs_a_token(api: httpx.AsyncClient) -> None:
    assert (await api.post("/v1/auth/logout")).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer abc.def.ghi",
        "Token x",
        "Bearer " + "a" * 9000,
    ],
)
async def test_bad_authorization_headers_are_401(api: httpx.AsyncClient, header: str) -> None:
    answer = await api.get("/v1/me", headers={"Authorization": header})
    assert answer.status_code == 401


async def test_a_tampered_token_is_401(api: httpx.AsyncClient, mailbox: Mailbox, new_email) -> None:
    body = await login(api, mailbox, new_email())
    head, payload, signature = body["access_token"].split(".")
    tampered = f"{head}.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"
    answer = await api.get("/v1/me", headers=bearer(tampered))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_token"


async def test_the_generated_secret_is_private(tenancy_app: Starlette, tenancy_settings) -> None:
    for name in ("jwt_secret", "login_code_key"):
        path = tenancy_settings.data_dir / name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_hs256_publishes_an_empty_jwks(api: httpx.AsyncClient) -> None:
    answer = await api.get("/v1/auth/jwks.json")
    assert answer.status_code == 200 and answer.json() == {"keys": []}


async def test_with_smtp_no_log_line_carries_the_code(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    address = new_email()
    with captured_logs() as lines:
        body = await login(api, mailbox, address)
    code = mailbox.code_for(address)
    assert body["user"]["email"] == address
    assert any("request" in line for line in lines), "the capture saw nothing"
    assert not [line for line in lines if code in line]


@pytest.fixture
async def local_app(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, Path]]:
    """The app as one person runs it: no SMTP server, EdDSA keys."""
    settings = load_settings(
        {"BRAINHOST_DATA_DIR": str(tmp_path / "local"), "BRAINHOST_JWT_ALGORITHM": "EdDSA"}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://local.test") as c:
            yield c, settings.data_dir


async def test_without_smtp_a_person_logs_in_from_the_outbox(
    local_app: tuple[httpx.AsyncClient, Path],
) -> None:
    client, data_dir = local_app
    with captured_logs() as lines:
        sent = await client.post("/v1/auth/code", json={"email": "me@example.org"})
    assert sent.status_code == 202
    (mail,) = (data_dir / "outbox").iterdir()
    code = re.search(r"login code: (\d{6})", mail.read_text())
    assert code is not None
    assert any(code.group(1) in line for line in lines)
    verified = await client.post(
        "/v1/auth/verify", json={"email": "me@example.org", "code": code.group(1)}
    )
    assert verified.status_code == 200


async def test_eddsa_tokens_verify_against_the_published_jwks(
    local_app: tuple[httpx.AsyncClient, Path],
) -> None:
    client, data_dir = local_app
    await client.post("/v1/auth/code", json={"email": "me@example.org"})
    (mail,) = (data_dir / "outbox").iterdir()
    code = re.search(r"login code: (\d{6})", mail.read_text())
    assert code is not None
    body = (
        await client.post(
            "/v1/auth/verify", json={"email": "me@example.org", "code": code.group(1)}
        )
    ).json()
    keys = jwt.PyJWKSet.from_dict((await client.get("/v1/auth/jwks.json")).json())
    token = body["access_token"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "EdDSA"
    claims = jwt.decode(token, keys[header["kid"]], algorithms=["EdDSA"], audience="brainhost-api")
    assert claims["email"] == "me@example.org"
    assert (await client.get("/v1/me", headers=bearer(token))).status_code == 200


def _token_from(app: Starlette, user: dict[str, str], *, clock_offset: float) -> str:
    live = app.state.services.auth.codec
    skewed = AccessTokenCodec(
        live.ring,
        issuer=live.issuer,
        audience=live.audience,
        ttl_s=live.ttl_s,
        leeway_s=live.leeway_s,
        clock=lambda: time.time() + clock_offset,
    )
    token, _ = skewed.issue(
        user_id=user["id"], email=user["email"], session_id="fam_skew", workspaces={}
    )
    return token


@pytest.mark.parametrize(
    ("offset", "status"),
    [(20.0, 200), (-20.0, 200), (120.0, 401), (-(900 + 20), 200), (-(900 + 120), 401)],
    ids=[
        "issuer-ahead-20s",
        "issuer-behind-20s",
        "issuer-ahead-2min",
        "expired-20s-ago",
        "expired-2min-ago",
    ],
)
async def test_clock_skew_is_tolerated_within_the_leeway(
    api: httpx.AsyncClient,
    tenancy_app: Starlette,
    mailbox: Mailbox,
    new_email,
    offset: float,
    status: int,
) -> None:
    body = await login(api, mailbox, new_email())
    token = _token_from(tenancy_app, body["user"], clock_offset=offset)
    assert (await api.get("/v1/me", headers=bearer(token))).status_code == status


async def test_an_unsigned_alg_none_token_is_401(
    api: httpx.AsyncClient, mailbox: Mailbox, new_email
) -> None:
    body = await login(api, mailbox, new_email())
    _, payload, _ = body["access_token"].split(".")
    header = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT","kid":"hs256"}').rstrip(b"=")
    answer = await api.get("/v1/me", headers=bearer(f"{header.decode()}.{payload}."))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "invalid_token"
