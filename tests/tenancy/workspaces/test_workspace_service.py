"""WorkspaceService on the real SQLite store: authorization, members, apps, domains."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from tenancy_fixtures import FakeClock, Mailbox

from tenancy.auth import AuthService
from tenancy.errors import (
    ConflictError,
    ForbiddenError,
    InvalidInputError,
    LastOwnerError,
    NotFoundError,
    QuotaExceededError,
)
from tenancy.store import BrainRecord, Domain, Store, User
from tenancy.workspaces import Access, WorkspaceLimits, WorkspaceService

IP = "198.51.100.7"
_counter = iter(range(10**6))


async def user(store: Store, name: str = "u") -> User:
    n = next(_counter)
    record = User(id=f"usr_{name}{n}", email=f"{name}{n}@example.org", created_at=datetime.now(UTC))
    await store.users.create(record)
    return record


async def seat(workspaces: WorkspaceService, owner: Access, who: User, role: str) -> Access:
    await workspaces.invite(owner, who.email, role)  # type: ignore[arg-type]
    return await workspaces.access(who.id, owner.workspace.id)


@pytest.fixture
async def acme(store: Store, workspaces: WorkspaceService) -> Access:
    owner = await user(store, "owner")
    ws = await workspaces.create(owner.id, "Acme", f"acme-{next(_counter)}")
    return await workspaces.access(owner.id, ws.id, "owner")


async def test_the_creator_becomes_owner(workspaces: WorkspaceService, acme: Access) -> None:
    assert acme.role == "owner" and acme.member.kind == "human"
    listed = await workspaces.list_for(acme.member.user_id or "")
    assert [m.workspace.id for m in listed] == [acme.workspace.id]


async def test_slugs_are_unique(workspaces: WorkspaceService, store: Store, acme: Access) -> None:
    other = await user(store)
    with pytest.raises(ConflictError) as info:
        await workspaces.create(other.id, "Copy", acme.workspace.slug)
    assert "slug" in info.value.fields


async def test_invalid_names_are_input_errors(workspaces: WorkspaceService, store: Store) -> None:
    owner = await user(store)
    with pytest.raises(InvalidInputError):
        await workspaces.create(owner.id, "Acme", "Not A Slug")


async def test_non_members_and_missing_workspaces_look_the_same(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    stranger = await user(store)
    with pytest.raises(NotFoundError) as hidden:
        await workspaces.access(stranger.id, acme.workspace.id)
    with pytest.raises(NotFoundError) as missing:
        await workspaces.access(stranger.id, "ws_doesnotexist")
    with pytest.raises(NotFoundError):
        await workspaces.access(stranger.id, "../../etc")
    assert hidden.value.message == missing.value.message


async def test_a_low_role_is_forbidden(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    member = await seat(workspaces, acme, await user(store), "member")
    with pytest.raises(ForbiddenError):
        await workspaces.access(member.member.user_id or "", acme.workspace.id, "admin")
    with pytest.raises(ForbiddenError):
        await workspaces.update(member, name="Renamed")


async def test_inviting_an_unknown_address_is_pending_until_login(
    workspaces: WorkspaceService, auth: AuthService, mailbox: Mailbox, acme: Access, new_email
) -> None:
    address = new_email("invitee")
    invited = await workspaces.invite(acme, address, "admin")
    assert invited.pending and invited.email == address
    await auth.request_code(address, IP)
    login = await auth.verify(address, mailbox.code_for(address), IP)
    assert [(m.workspace.id, m.member.role) for m in login.memberships] == [
        (acme.workspace.id, "admin")
    ]
    assert (await auth.authenticate(login.access_token)).workspaces == {acme.workspace.id: "admin"}
    access = await workspaces.access(login.user.id, acme.workspace.id, "admin")
    assert not access.member.pending


async def test_inviting_an_existing_user_seats_them_at_once(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    known = await user(store)
    member = await workspaces.invite(acme, known.email.upper(), "member")
    assert member.user_id == known.id and not member.pending


async def test_inviting_twice_conflicts(
    workspaces: WorkspaceService, acme: Access, new_email
) -> None:
    address = new_email()
    await workspaces.invite(acme, address, "member")
    with pytest.raises(ConflictError):
        await workspaces.invite(acme, address, "member")


async def test_admins_cannot_make_owners(
    workspaces: WorkspaceService, store: Store, acme: Access, new_email
) -> None:
    admin = await seat(workspaces, acme, await user(store), "admin")
    with pytest.raises(ForbiddenError):
        await workspaces.invite(admin, new_email(), "owner")
    with pytest.raises(ForbiddenError):
        await workspaces.set_role(admin, acme.member.id, "member")
    with pytest.raises(ForbiddenError):
        await workspaces.remove_member(admin, acme.member.id)


async def test_members_cannot_manage_members(
    workspaces: WorkspaceService, store: Store, acme: Access, new_email
) -> None:
    member = await seat(workspaces, acme, await user(store), "member")
    with pytest.raises(ForbiddenError):
        await workspaces.invite(member, new_email(), "member")
    with pytest.raises(ForbiddenError):
        await workspaces.remove_member(member, acme.member.id)


async def test_anyone_may_leave(workspaces: WorkspaceService, store: Store, acme: Access) -> None:
    member = await seat(workspaces, acme, await user(store), "member")
    await workspaces.remove_member(member, member.member.id)
    with pytest.raises(NotFoundError):
        await workspaces.access(member.member.user_id or "", acme.workspace.id)


async def test_the_last_owner_cannot_leave_or_be_demoted(
    workspaces: WorkspaceService, acme: Access
) -> None:
    with pytest.raises(LastOwnerError):
        await workspaces.remove_member(acme, acme.member.id)
    with pytest.raises(LastOwnerError):
        await workspaces.set_role(acme, acme.member.id, "admin")


async def test_an_owner_may_leave_once_another_owner_exists(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    second = await seat(workspaces, acme, await user(store), "owner")
    await workspaces.remove_member(acme, acme.member.id)
    assert [m.role for m in await workspaces.list_members(second)] == ["owner"]


async def test_digital_humans_are_bound_to_a_brain_of_the_workspace(
    workspaces: WorkspaceService, acme: Access
) -> None:
    with pytest.raises(NotFoundError):
        await workspaces.add_digital(acme, "brn_missing", "member")
    now = datetime.now(UTC)
    await acme.data.brains.create(
        BrainRecord(id="brn_1", name="Ada", genome={}, created_at=now, updated_at=now)
    )
    member = await workspaces.add_digital(acme, "brn_1", "member", "ada@acme.example")
    assert member.kind == "digital" and member.brain_id == "brn_1"
    with pytest.raises(InvalidInputError):
        await workspaces.add_digital(acme, "bad id!", "member")


async def test_apps_install_with_validated_settings(
    workspaces: WorkspaceService, acme: Access
) -> None:
    app = await workspaces.install_app(acme, "mail-responder", {"mailbox": "hi@acme.example"})
    assert app.version == "1.2.0"
    assert [a.app_id for a in await workspaces.list_apps(acme)] == ["mail-responder"]
    with pytest.raises(InvalidInputError) as info:
        await workspaces.install_app(acme, "mail-responder", {"max_replies_per_hour": 0})
    assert "settings.max_replies_per_hour" in info.value.fields
    with pytest.raises(NotFoundError):
        await workspaces.install_app(acme, "nope", {})
    await workspaces.uninstall_app(acme, "mail-responder")
    with pytest.raises(NotFoundError):
        await workspaces.uninstall_app(acme, "mail-responder")


async def test_a_domain_belongs_to_one_workspace(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    owner = await user(store)
    other_ws = await workspaces.create(owner.id, "Other", f"other-{next(_counter)}")
    other = await workspaces.access(owner.id, other_ws.id)
    await workspaces.claim_domain(acme, "Mail.Acme.Example")
    await workspaces.claim_domain(acme, "mail.acme.example")  # idempotent for the owner
    with pytest.raises(ConflictError) as info:
        await workspaces.claim_domain(other, "mail.acme.example")
    assert "domain" in info.value.fields
    assert [d.domain for d in await workspaces.list_domains(acme)] == ["mail.acme.example"]


async def test_the_resolver_caches_and_is_invalidated_on_change(
    workspaces: WorkspaceService, acme: Access, clock: FakeClock
) -> None:
    resolver = workspaces.resolver
    assert await resolver.resolve("acme.example") is None
    lookups = resolver.lookups
    assert await resolver.resolve("ACME.example.") is None
    assert resolver.lookups == lookups  # cached negative answer
    await workspaces.claim_domain(acme, "acme.example")
    assert await resolver.resolve("acme.example") == acme.workspace.id
    assert await resolver.resolve("acme.example") == acme.workspace.id
    await workspaces.release_domain(acme, "acme.example")
    assert await resolver.resolve("acme.example") is None
    with pytest.raises(NotFoundError):
        await workspaces.release_domain(acme, "acme.example")


async def test_resolver_entries_expire(
    workspaces: WorkspaceService, store: Store, acme: Access, clock: FakeClock
) -> None:
    resolver = workspaces.resolver
    assert await resolver.resolve("late.example") is None
    # Claimed behind the resolver's back (as another process would):
    await acme.data.domains.claim(
        Domain(domain="late.example", workspace_id=acme.workspace.id, created_at=datetime.now(UTC))
    )
    assert await resolver.resolve("late.example") is None
    clock.advance(61)
    assert await resolver.resolve("late.example") == acme.workspace.id


async def test_delete_needs_the_slug_and_removes_everything(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    admin = await seat(workspaces, acme, await user(store), "admin")
    with pytest.raises(ForbiddenError):
        await workspaces.delete(admin, acme.workspace.slug)
    await workspaces.claim_domain(acme, "gone.example")
    assert await workspaces.resolver.resolve("gone.example") == acme.workspace.id
    with pytest.raises(InvalidInputError) as info:
        await workspaces.delete(acme, "wrong-slug")
    assert "confirm" in info.value.fields
    await workspaces.delete(acme, acme.workspace.slug)
    assert await store.workspaces.get(acme.workspace.id) is None
    assert await workspaces.resolver.resolve("gone.example") is None
    assert await workspaces.list_for(acme.member.user_id or "") == []
    with pytest.raises(NotFoundError):
        await workspaces.access(acme.member.user_id or "", acme.workspace.id)


async def test_a_role_change_applies_at_once_to_a_remembered_seat(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    admin = await seat(workspaces, acme, await user(store), "admin")
    assert (await workspaces.access(admin.member.user_id or "", acme.workspace.id, "admin")).role
    await workspaces.set_role(acme, admin.member.id, "member")
    with pytest.raises(ForbiddenError, match="you are member"):
        await workspaces.access(admin.member.user_id or "", acme.workspace.id, "admin")


async def test_a_removed_member_loses_a_remembered_seat_at_once(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    member = await seat(workspaces, acme, await user(store), "member")
    await workspaces.remove_member(acme, member.member.id)
    with pytest.raises(NotFoundError):
        await workspaces.access(member.member.user_id or "", acme.workspace.id)


async def test_a_seat_changed_by_another_process_is_seen_within_the_cache_ttl(
    workspaces: WorkspaceService, store: Store, acme: Access, clock: FakeClock
) -> None:
    admin = await seat(workspaces, acme, await user(store), "admin")
    user_id = admin.member.user_id or ""
    await acme.data.members.set_role(admin.member.id, "member")  # straight to the store
    assert (await workspaces.access(user_id, acme.workspace.id, "admin")).role == "admin"
    clock.advance(1.01)
    with pytest.raises(ForbiddenError):
        await workspaces.access(user_id, acme.workspace.id, "admin")


async def test_a_zero_cache_ttl_reads_the_seat_on_every_call(
    workspaces: WorkspaceService, store: Store, acme: Access
) -> None:
    uncached = WorkspaceService(store, workspaces.registry, access_cache_ttl_s=0)
    admin = await seat(uncached, acme, await user(store), "admin")
    await acme.data.members.set_role(admin.member.id, "member")
    with pytest.raises(ForbiddenError):
        await uncached.access(admin.member.user_id or "", acme.workspace.id, "admin")


@pytest.fixture
def tight(store: Store, workspaces: WorkspaceService) -> WorkspaceService:
    return WorkspaceService(
        store,
        workspaces.registry,
        limits=WorkspaceLimits(
            workspaces_per_user=2, members_per_workspace=3, domains_per_workspace=2
        ),
    )


async def test_a_user_owns_a_bounded_number_of_workspaces(
    tight: WorkspaceService, store: Store
) -> None:
    owner = await user(store)
    for _ in range(2):
        await tight.create(owner.id, "W", f"w-{next(_counter)}")
    with pytest.raises(QuotaExceededError):
        await tight.create(owner.id, "W", f"w-{next(_counter)}")


async def test_a_workspace_has_a_bounded_number_of_members(
    tight: WorkspaceService, store: Store, new_email
) -> None:
    owner = await user(store)
    ws = await tight.create(owner.id, "W", f"w-{next(_counter)}")
    access = await tight.access(owner.id, ws.id)
    await tight.invite(access, new_email(), "member")
    await tight.invite(access, new_email(), "member")
    with pytest.raises(QuotaExceededError):
        await tight.invite(access, new_email(), "member")


async def test_a_workspace_has_a_bounded_number_of_domains(
    tight: WorkspaceService, store: Store
) -> None:
    owner = await user(store)
    ws = await tight.create(owner.id, "W", f"w-{next(_counter)}")
    access = await tight.access(owner.id, ws.id)
    await tight.claim_domain(access, "one.example")
    await tight.claim_domain(access, "two.example")
    await tight.claim_domain(access, "two.example")  # re-claiming its own is not a new one
    with pytest.raises(QuotaExceededError):
        await tight.claim_domain(access, "three.example")
