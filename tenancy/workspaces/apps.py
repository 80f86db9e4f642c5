"""The registry of installable apps and validation of their settings.

The registry comes from configuration: a JSON file (``BRAINHOST_APPS_REGISTRY``) holding
``{"apps": [{"id", "version", "name", "description", "settings_schema"}]}``. Each schema
is a JSON Schema (draft 2020-12), checked when the registry loads so a broken registry
stops the service at start rather than at the first install.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from tenancy.errors import InvalidInputError, NotFoundError
from tenancy.store.records import KEY_PATTERN

if TYPE_CHECKING:
    import jsonschema

__all__ = ["AppDefinition", "AppRegistry", "RegistryError"]

_MAX_SETTINGS_ERRORS = 20


class RegistryError(ValueError):
    """The configured registry file cannot be used; the message names the entry."""


@dataclass(frozen=True, slots=True)
class AppDefinition:
    """One installable app."""

    id: str
    version: str
    name: str
    description: str = ""
    settings_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})


class AppRegistry:
    """Known apps by id, each with a compiled settings validator."""

    def __init__(self, apps: Iterable[AppDefinition] = ()) -> None:
        self._apps: dict[str, AppDefinition] = {}
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        for app in apps:
            # Imported with the first app: jsonschema is ~60 ms of a cold start without any.
            import jsonschema

            if not KEY_PATTERN.fullmatch(app.id):
                raise RegistryError(f"app id {app.id!r}: 1-48 letters, digits, '_' or '-'")
            if app.id in self._apps:
                raise RegistryError(f"app id {app.id!r} appears twice in the registry")
            try:
                jsonschema.Draft202012Validator.check_schema(app.settings_schema)
            except jsonschema.SchemaError as exc:
                raise RegistryError(
                    f"app {app.id!r}: settings_schema is not a valid JSON Schema: {exc.message}"
                ) from None
            self._apps[app.id] = app
            self._validators[app.id] = jsonschema.Draft202012Validator(app.settings_schema)

    @classmethod
    def from_json(cls, data: bytes, *, source: str = "registry") -> AppRegistry:
        """Parse a registry document; `RegistryError` names the bad entry."""
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise RegistryError(f"{source}: not valid JSON: {exc}") from None
        entries = document.get("apps") if isinstance(document, dict) else None
        if not isinstance(entries, list):
            raise RegistryError(f'{source}: expected {{"apps": [...]}}')
        apps = []
        for index, entry in enumerate(entries):
            where = f"{source}: apps[{index}]"
            if not isinstance(entry, dict):
                raise RegistryError(f"{where}: expected an object")
            app_id, version = entry.get("id"), entry.get("version")
            if not isinstance(app_id, str) or not isinstance(version, str) or not version:
                raise RegistryError(f"{where}: 'id' and 'version' must be non-empty strings")
            schema = entry.get("settings_schema", {"type": "object"})
            if not isinstance(schema, dict):
                raise RegistryError(f"{where}: 'settings_schema' must be an object")
            apps.append(
                AppDefinition(
                    id=app_id,
                    version=version,
                    name=str(entry.get("name") or app_id),
                    description=str(entry.get("description") or ""),
                    settings_schema=schema,
                )
            )
        return cls(apps)

    @classmethod
    def from_file(cls, path: Path) -> AppRegistry:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RegistryError(f"cannot read app registry {path}: {exc.strerror}") from None
        return cls.from_json(data, source=str(path))

    def __iter__(self) -> Iterator[AppDefinition]:
        return iter(self._apps.values())

    def __len__(self) -> int:
        return len(self._apps)

    def get(self, app_id: str) -> AppDefinition:
        """The app named `app_id`, or `NotFoundError`."""
        app = self._apps.get(app_id)
        if app is None:
            raise NotFoundError(f"no app {app_id!r} in the registry")
        return app

    def validate_settings(self, app_id: str, settings: Mapping[str, Any]) -> dict[str, Any]:
        """`settings` if valid for `app_id`; else `InvalidInputError` with one field per problem."""
        validator = self._validators[self.get(app_id).id]
        problems: dict[str, str] = {}
        errors = sorted(validator.iter_errors(dict(settings)), key=lambda e: list(e.path))
        for error in errors[:_MAX_SETTINGS_ERRORS]:
            path = "settings" + "".join(
                f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
            )
            problems.setdefault(path, error.message)
        if problems:
            raise InvalidInputError(
                f"settings do not match the schema of app {app_id!r}", fields=problems
            )
        return dict(settings)
