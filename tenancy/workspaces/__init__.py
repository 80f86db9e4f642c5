"""Workspaces (tenants): members and roles, installed apps, domains, authorization."""

from tenancy.workspaces.apps import AppDefinition, AppRegistry, RegistryError
from tenancy.workspaces.domains import DomainResolver
from tenancy.workspaces.names import check_slug, check_workspace_name, normalize_domain
from tenancy.workspaces.roles import can_assign, check_manage_member, parse_role, role_at_least
from tenancy.workspaces.service import Access, WorkspaceLimits, WorkspaceService

__all__ = [
    "Access",
    "AppDefinition",
    "AppRegistry",
    "DomainResolver",
    "RegistryError",
    "WorkspaceLimits",
    "WorkspaceService",
    "can_assign",
    "check_manage_member",
    "check_slug",
    "check_workspace_name",
    "normalize_domain",
    "parse_role",
    "role_at_least",
]
