"""Pure workspace rules: roles, names, domains, the app registry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tenancy.errors import ForbiddenError, InvalidInputError, NotFoundError
from tenancy.workspaces import (
    AppRegistry,
    RegistryError,
    can_assign,
    check_manage_member,
    check_slug,
    check_workspace_name,
    normalize_domain,
    parse_role,
    role_at_least,
)


def test_roles_are_ordered() -> None:
    assert role_at_least("owner", "admin") and role_at_least("admin", "member")
    assert not role_at_least("member", "admin") and not role_at_least("admin", "owner")


def test_unknown_roles_name_the_choices() -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_role("root")
    assert "owner, admin, member" in info.value.fields["role"]


def test_only_owners_make_owners() -> None:
    assert can_assign("owner", "owner") and not can_assign("admin", "owner")
    assert can_assign("admin", "admin") and not can_assign("member", "member")


@pytest.mark.parametrize(
    ("actor", "target", "new_role"),
    [
        ("member", "member", "admin"),
        ("admin", "owner", "member"),
        ("admin", "member", "owner"),
        ("member", "member", None),
        ("admin", "owner", None),
    ],
)
def test_member_management_is_refused(actor: str, target: str, new_role: str | None) -> None:
    with pytest.raises(ForbiddenError):
        check_manage_member(actor, target, new_role)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("actor", "target", "new_role"),
    [
        ("admin", "member", "admin"),
        ("admin", "admin", "member"),
        ("owner", "owner", "admin"),
        ("owner", "member", "owner"),
        ("admin", "member", None),
    ],
)
def test_member_management_is_allowed(actor: str, target: str, new_role: str | None) -> None:
    check_manage_member(actor, target, new_role)  # type: ignore[arg-type]


@pytest.mark.parametrize("slug", ["a", "acme", "acme-labs", "a1", "x" * 64])
def test_good_slugs(slug: str) -> None:
    assert check_slug(slug) == slug


@pytest.mark.parametrize("slug", ["", "-acme", "acme-", "Acme", "ac me", "acme_labs", "x" * 65])
def test_bad_slugs_name_the_field(slug: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        check_slug(slug)
    assert "slug" in info.value.fields


def test_workspace_names_are_trimmed_and_checked() -> None:
    assert check_workspace_name("  Acme Labs ") == "Acme Labs"
    for bad in ("", "   ", "a\x00b", "x" * 201):
        with pytest.raises(InvalidInputError):
            check_workspace_name(bad)


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("Example.ORG", "example.org"),
        ("mail.example.org.", "mail.example.org"),
        ("bücher.de", "xn--bcher-kva.de"),
    ],
)
def test_domains_are_normalized(given_: str, expected: str) -> None:
    assert normalize_domain(given_) == expected


@pytest.mark.parametrize(
    "bad", ["", "localhost", "exa mple.org", "-a.org", "a..org", "1.2.3.4", "a" * 64 + ".org"]
)
def test_bad_domains_name_the_field(bad: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        normalize_domain(bad)
    assert "domain" in info.value.fields


@given(st.text(max_size=80))
def test_domain_normalization_never_crashes_and_is_idempotent(text: str) -> None:
    try:
        name = normalize_domain(text)
    except InvalidInputError:
        return
    assert normalize_domain(name) == name


REGISTRY = b"""{"apps": [
  {"id": "crm", "version": "2.0.1", "settings_schema": {
     "type": "object", "required": ["url"], "additionalProperties": false,
     "properties": {"url": {"type": "string"}, "seats": {"type": "integer", "minimum": 1},
                    "tags": {"type": "array", "items": {"type": "string"}}}}}
]}"""


def test_registry_validates_settings_against_the_schema() -> None:
    registry = AppRegistry.from_json(REGISTRY)
    assert registry.validate_settings("crm", {"url": "https://x", "seats": 3}) == {
        "url": "https://x",
        "seats": 3,
    }


def test_settings_errors_name_each_path() -> None:
    registry = AppRegistry.from_json(REGISTRY)
    with pytest.raises(InvalidInputError) as info:
        registry.validate_settings("crm", {"seats": 0, "tags": ["a", 3], "extra": True})
    fields = info.value.fields
    assert "settings.seats" in fields and "settings.tags[1]" in fields
    assert any("url" in message for message in fields.values())


def test_unknown_apps_are_not_found() -> None:
    with pytest.raises(NotFoundError):
        AppRegistry.from_json(REGISTRY).get("nope")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"{", "not valid JSON"),
        (b'{"apps": {}}', "expected"),
        (b'{"apps": [{"id": "a"}]}', "apps\\[0\\]"),
        (b'{"apps": [{"id": "a b", "version": "1"}]}', "app id"),
        (b'{"apps": [{"id": "a", "version": "1"}, {"id": "a", "version": "2"}]}', "twice"),
        (b'{"apps": [{"id": "a", "version": "1", "settings_schema": {"type": 5}}]}', "JSON Schema"),
    ],
)
def test_a_broken_registry_is_refused_naming_the_entry(document: bytes, message: str) -> None:
    with pytest.raises(RegistryError, match=message):
        AppRegistry.from_json(document)
