"""Validation of the names people choose: workspace slugs and names, domain names."""

from __future__ import annotations

import re

from tenancy.errors import InvalidInputError

__all__ = ["check_slug", "check_workspace_name", "normalize_domain"]

_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_MAX_NAME = 200


def check_slug(slug: str, *, field: str = "slug") -> str:
    """A slug is 1-64 chars of a-z, 0-9 and inner '-' (it appears in URLs and mail)."""
    if not _SLUG.match(slug):
        raise InvalidInputError(
            f"{slug!r} is not a valid slug",
            fields={field: "1-64 lower-case letters, digits or '-', not starting or ending '-'"},
        )
    return slug


def check_workspace_name(name: str, *, field: str = "name") -> str:
    """A display name: 1-200 characters after trimming, no control characters."""
    value = name.strip()
    if not value or len(value) > _MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise InvalidInputError(
            "invalid workspace name",
            fields={field: f"1-{_MAX_NAME} printable characters"},
        )
    return value


def normalize_domain(domain: str, *, field: str = "domain") -> str:
    """Lower-case ASCII (IDNA) form of a host name with at least two labels."""
    value = domain.strip().rstrip(".").lower()
    try:
        ascii_form = value.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_form = ""
    labels = ascii_form.split(".")
    if (
        not ascii_form
        or len(ascii_form) > 253
        or len(labels) < 2
        or not all(_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise InvalidInputError(
            f"{domain!r} is not a domain name",
            fields={field: "expected a host name like mail.example.org"},
        )
    return ascii_form
