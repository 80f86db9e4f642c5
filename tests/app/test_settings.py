"""Settings come from BRAINHOST_* variables; a bad value names the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import SettingsError, load_settings


def test_embedded_defaults_need_no_environment() -> None:
    settings = load_settings({})
    assert (settings.host, settings.port, settings.data_dir) == ("127.0.0.1", 5002, Path("var"))
    assert settings.store_url.startswith("sqlite:///")
    assert settings.access_token_ttl_s == 900
    assert settings.session_ttl_s == 7 * 86_400


def test_variables_override_defaults_case_insensitively() -> None:
    settings = load_settings({"brainhost_port": "6001", "BRAINHOST_ACCESS_TOKEN_TTL": "60"})
    assert settings.port == 6001
    assert settings.access_token_ttl_s == 60


def test_unrelated_variables_are_ignored() -> None:
    assert load_settings({"HOME": "/root", "PORT": "1"}).port == 5002


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("BRAINHOST_PORT", "not-a-number"),
        ("BRAINHOST_PORT", "70000"),
        ("BRAINHOST_LOG_LEVEL", "loud"),
        ("BRAINHOST_ACCESS_TOKEN_TTL", "1"),
        ("BRAINHOST_HOST", "  "),
    ],
)
def test_a_bad_value_is_reported_with_its_variable_name(variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    assert any(problem.startswith(variable + ":") for problem in caught.value.problems)


def test_every_bad_variable_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"BRAINHOST_PORT": "x", "BRAINHOST_LOG_LEVEL": "loud"})
    assert len(caught.value.problems) == 2


def test_a_secret_value_is_never_echoed_in_the_error() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"BRAINHOST_JWT_SECRET": "hunter2"})
    assert caught.value.problems[0].startswith("BRAINHOST_JWT_SECRET:")
    assert "hunter2" not in str(caught.value)
