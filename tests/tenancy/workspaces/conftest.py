"""Tenancy fixtures, shared with tests/app through tests/app/conftest_tenancy.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _shared() -> ModuleType:
    name = "brainhost_conftest_tenancy"
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[2] / "app" / "conftest_tenancy.py"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


_fixtures = _shared()
smtp_server = _fixtures.smtp_server
mailbox = _fixtures.mailbox
new_email = _fixtures.new_email
clock = _fixtures.clock
store = _fixtures.store
auth = _fixtures.auth
workspaces = _fixtures.workspaces
registry_file = _fixtures.registry_file
tenancy_settings = _fixtures.tenancy_settings
tenancy_app = _fixtures.tenancy_app
api = _fixtures.api
