"""Logs are structured and never carry secrets."""

from __future__ import annotations

from app.logging_setup import REDACTED, redact_secrets


def test_values_of_secret_named_keys_are_redacted() -> None:
    event = {
        "event": "login",
        "password": "hunter2",
        "jwt_secret": "s3",
        "access_token": "eyJ...",
        "authorization": "Bearer x",
        "login_code": "123456",
        "email": "a@example.org",
    }
    out = redact_secrets(None, "info", dict(event))
    for key in ("password", "jwt_secret", "access_token", "authorization", "login_code"):
        assert out[key] == REDACTED
    assert out["email"] == "a@example.org"
    assert out["event"] == "login"


def test_status_codes_are_not_mistaken_for_secrets() -> None:
    out = redact_secrets(None, "info", {"event": "request", "status_code": 200, "exit_code": 0})
    assert out["status_code"] == 200 and out["exit_code"] == 0
