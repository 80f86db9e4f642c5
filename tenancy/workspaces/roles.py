"""Roles and what each may do: plain functions over role names, no I/O.

Roles are ordered owner > admin > member. Members read; admins manage the workspace's
settings, apps, domains and non-owner members; only owners touch owners or delete the
workspace. The "last owner" rule is enforced atomically by the store (`LastOwner`).
"""

from __future__ import annotations

from typing import Final

from tenancy.errors import ForbiddenError, InvalidInputError
from tenancy.store.records import ROLES, Role

__all__ = [
    "ROLES",
    "Role",
    "can_assign",
    "check_manage_member",
    "parse_role",
    "rank",
    "role_at_least",
]

_RANK: Final[dict[str, int]] = {"member": 1, "admin": 2, "owner": 3}


def rank(role: Role) -> int:
    """Higher means more rights."""
    return _RANK[role]


def role_at_least(role: Role, minimum: Role) -> bool:
    return _RANK[role] >= _RANK[minimum]


def parse_role(value: str, *, field: str = "role") -> Role:
    """`value` as a role, or `InvalidInputError` naming the choices."""
    for role in ROLES:
        if value == role:
            return role
    raise InvalidInputError(
        f"unknown role {value!r}", fields={field: f"expected one of {', '.join(ROLES)}"}
    )


def can_assign(actor: Role, role: Role) -> bool:
    """Whether someone with role `actor` may give a seat role `role`."""
    if actor == "owner":
        return True
    return actor == "admin" and role != "owner"


def check_manage_member(actor: Role, target: Role, new_role: Role | None = None) -> None:
    """Raise `ForbiddenError` unless `actor` may change (or remove, `new_role=None`) `target`."""
    if actor == "member":
        raise ForbiddenError("only admins and owners manage members")
    if actor == "admin" and target == "owner":
        raise ForbiddenError("only an owner can change or remove an owner")
    if new_role is not None and not can_assign(actor, new_role):
        raise ForbiddenError("only an owner can make someone an owner")
