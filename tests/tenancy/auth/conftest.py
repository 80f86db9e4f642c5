"""Tenancy fixtures (real SMTP server, store, services) from tests/tenancy_fixtures.py."""

from __future__ import annotations

import tenancy_fixtures as _fixtures

smtp_server = _fixtures.smtp_server
mailbox = _fixtures.mailbox
new_email = _fixtures.new_email
clock = _fixtures.clock
store = _fixtures.store
auth = _fixtures.auth
workspaces = _fixtures.workspaces
registry_file = _fixtures.registry_file
settings_overrides = _fixtures.settings_overrides
tenancy_settings = _fixtures.tenancy_settings
tenancy_app = _fixtures.tenancy_app
api = _fixtures.api
