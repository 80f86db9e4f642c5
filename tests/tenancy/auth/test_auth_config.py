"""Wiring at the edge: settings -> AuthConfig, the app registry file, purging, the guard."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tenancy_fixtures import FakeClock, Mailbox

from app.security import (
    GuardedRouter,
    auth_config_from,
    load_app_registry,
    periodic_purge,
)
from app.settings import SettingsError, load_settings
from tenancy.auth import AuthService
from tenancy.store import Store
from tenancy.workspaces import RegistryError


def test_defaults_map_to_the_agreed_policy(tmp_path: Path) -> None:
    config = auth_config_from(load_settings({"BRAINHOST_DATA_DIR": str(tmp_path)}))
    assert config.access_ttl_s == 900 and config.session_ttl_s == 7 * 86_400
    assert config.jwt_algorithm == "HS256" and config.jwt_secret is None
    assert config.smtp is None
    assert (config.policy.ttl_s, config.policy.max_attempts, config.policy.resend_gap_s) == (
        600.0,
        5,
        60.0,
    )


def test_limits_and_keys_dir_come_from_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "BRAINHOST_DATA_DIR": str(tmp_path),
            "BRAINHOST_CODE_LIMIT_PER_EMAIL": "3/600",
            "BRAINHOST_CODE_LIMIT_PER_IP": "10/60",
            "BRAINHOST_VERIFY_LIMIT_PER_IP": "7/70",
            "BRAINHOST_JWT_KEYS_DIR": str(tmp_path / "keys"),
        }
    )
    config = auth_config_from(settings)
    assert (config.limits.codes_per_email.capacity, config.limits.codes_per_email.period_s) == (
        3,
        600.0,
    )
    assert config.limits.codes_per_ip.capacity == 10
    assert config.limits.verifies_per_ip.period_s == 70.0
    assert config.jwt_keys_dir == tmp_path / "keys"


@pytest.mark.parametrize("value", ["5", "x/60", "0/60", "5/0", "-1/60"])
def test_a_bad_limit_names_its_variable(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"BRAINHOST_DATA_DIR": str(tmp_path), "BRAINHOST_CODE_LIMIT_PER_IP": value})
    assert caught.value.problems[0].startswith("BRAINHOST_CODE_LIMIT_PER_IP:")


def test_smtp_settings_are_carried_and_the_password_not_shown(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "BRAINHOST_DATA_DIR": str(tmp_path),
            "BRAINHOST_SMTP_HOST": "smtp.example.org",
            "BRAINHOST_SMTP_PORT": "2525",
            "BRAINHOST_SMTP_USERNAME": "robot",
            "BRAINHOST_SMTP_PASSWORD": "hunter2-secret",
        }
    )
    config = auth_config_from(settings)
    assert config.smtp is not None
    assert (config.smtp.host, config.smtp.port, config.smtp.username) == (
        "smtp.example.org",
        2525,
        "robot",
    )
    assert config.smtp.password == "hunter2-secret"
    assert "hunter2" not in repr(config.smtp) and "hunter2" not in repr(config)


def test_no_registry_configured_means_no_apps(tmp_path: Path) -> None:
    settings = load_settings({"BRAINHOST_DATA_DIR": str(tmp_path)})
    assert len(load_app_registry(settings)) == 0


def test_a_missing_registry_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = str(tmp_path / "apps.json")
    settings = load_settings(
        {"BRAINHOST_DATA_DIR": str(tmp_path), "BRAINHOST_APPS_REGISTRY": missing}
    )
    with pytest.raises(RegistryError, match=r"apps\.json"):
        load_app_registry(settings)


def test_roles_only_go_on_workspace_routes() -> None:
    router = GuardedRouter()
    with pytest.raises(ValueError, match="role="):
        router.get("/v1/things", role="admin")
    with pytest.raises(ValueError, match="role="):
        router.get("/v1/workspaces/{ws}/x", role="admin", secured=False)


async def test_purge_removes_expired_codes_sessions_and_revocations(
    auth: AuthService, store: Store, mailbox: Mailbox, clock: FakeClock, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, "192.0.2.1")
    login = await auth.verify(address, mailbox.code_for(address), "192.0.2.1")
    await auth.logout(await auth.authenticate(login.access_token))
    await auth.request_code(new_email(), "192.0.2.1")
    assert await auth.purge_expired() == 0
    clock.advance(8 * 86_400)
    assert await auth.purge_expired() >= 4
    assert await auth.purge_expired() == 0


async def test_the_periodic_purge_runs_and_stops(
    auth: AuthService, store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch, new_email
) -> None:
    address = new_email()
    await auth.request_code(address, "192.0.2.1")
    clock.advance(601)
    purged = asyncio.Event()
    original = auth.purge_expired

    async def observed() -> int:
        count = await original()
        purged.set()
        return count

    monkeypatch.setattr(auth, "purge_expired", observed)
    async with periodic_purge(auth, interval_s=0.01):
        await asyncio.wait_for(purged.wait(), timeout=5)
    assert await store.login_codes.get(address) is None
