"""Contract: workspaces, members, memberships, domains, provisioning and isolation."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from store_support import NOW, make_workspace

from tenancy.store import (
    BrainRecord,
    Conflict,
    Domain,
    InstalledApp,
    InvalidRecord,
    LastOwner,
    Member,
    Memory,
    NotFound,
    Store,
    StoreClosed,
    Thread,
    ThreadMessage,
    Workspace,
    WorkspaceNotProvisioned,
)


def owner(workspace_id: str, user_id: str = "u1", member_id: str = "m1") -> Member:
    return Member(id=member_id, workspace_id=workspace_id, role="owner", kind="human",
                  created_at=NOW, user_id=user_id, email=f"{user_id}@example.com")


def seat(workspace_id: str, member_id: str, user_id: str, role: str = "member") -> Member:
    return Member(id=member_id, workspace_id=workspace_id, role=role,  # type: ignore[arg-type]
                  kind="human", created_at=NOW, user_id=user_id)


def invitation(workspace_id: str, member_id: str, email: str) -> Member:
    return Member(id=member_id, workspace_id=workspace_id, role="member", kind="human",
                  created_at=NOW, email=email)


# ---------------------------------------------------------------- workspaces


async def test_a_workspace_is_created_with_its_owner_atomically(store: Store) -> None:
    workspace = Workspace(id="w1", slug="acme", name="Acme", created_at=NOW)

    await store.workspaces.create(workspace, owner=owner("w1"))

    assert await store.workspaces.get("w1") == workspace
    assert await store.workspaces.get_by_slug("acme") == workspace
    assert await store.workspace("w1").members.list() == [owner("w1")]


async def test_a_taken_slug_conflicts_and_leaves_no_trace(store: Store) -> None:
    await store.workspaces.create(Workspace(id="w1", slug="acme", name="A", created_at=NOW))

    with pytest.raises(Conflict) as caught:
        await store.workspaces.create(
            Workspace(id="w2", slug="acme", name="B", created_at=NOW), owner=owner("w2")
        )

    assert caught.value.field == "slug"
    assert await store.workspaces.get("w2") is None
    assert await store.memberships.list_for_user("u1") == []


async def test_a_reused_workspace_id_conflicts_on_id(store: Store) -> None:
    await store.workspaces.create(Workspace(id="w1", slug="one", name="One", created_at=NOW))

    with pytest.raises(Conflict) as caught:
        await store.workspaces.create(
            Workspace(id="w1", slug="two", name="Two", created_at=NOW), owner=owner("w1")
        )

    assert caught.value.field == "id"
    assert await store.workspaces.get_by_slug("two") is None


async def test_the_first_member_must_be_an_owner_of_that_workspace(store: Store) -> None:
    workspace = Workspace(id="w1", slug="acme", name="Acme", created_at=NOW)

    with pytest.raises(InvalidRecord):
        await store.workspaces.create(workspace, owner=seat("w1", "m1", "u1"))
    with pytest.raises(InvalidRecord):
        await store.workspaces.create(workspace, owner=owner("w2"))
    assert await store.workspaces.get("w1") is None


async def test_updating_name_and_slug_returns_the_new_workspace(store: Store) -> None:
    await make_workspace(store, "w1")

    updated = await store.workspaces.update("w1", name="Renamed", slug="renamed")

    assert (updated.name, updated.slug) == ("Renamed", "renamed")
    assert await store.workspaces.get_by_slug("renamed") == updated
    assert await store.workspaces.get_by_slug("w1") is None


async def test_updating_to_a_taken_slug_conflicts(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")

    with pytest.raises(Conflict) as caught:
        await store.workspaces.update("w2", slug="w1")
    assert caught.value.field == "slug"


async def test_updating_a_missing_workspace_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.workspaces.update("ghost", name="x")


# ---------------------------------------------------------------- members


async def test_members_are_listed_in_creation_order(store: Store) -> None:
    await store.workspaces.create(Workspace(id="w1", slug="w1", name="W", created_at=NOW),
                                  owner=owner("w1"))
    members = store.workspace("w1").members
    await members.add(seat("w1", "m2", "u2"))
    digital = Member(id="m3", workspace_id="w1", role="member", kind="digital",
                     created_at=NOW, brain_id="b1", email="bot@example.com")
    await members.add(digital)

    assert [m.id for m in await members.list()] == ["m1", "m2", "m3"]
    assert await members.get("m3") == digital
    assert await members.get_by_user("u2") == seat("w1", "m2", "u2")


async def test_a_user_holds_one_seat_per_workspace(store: Store) -> None:
    await make_workspace(store, "w1")
    members = store.workspace("w1").members
    await members.add(seat("w1", "m1", "u1"))

    with pytest.raises(Conflict) as caught:
        await members.add(seat("w1", "m2", "u1"))
    assert caught.value.field == "user_id"


async def test_an_email_is_invited_once_per_workspace_in_any_case(store: Store) -> None:
    await make_workspace(store, "w1")
    members = store.workspace("w1").members
    await members.add(invitation("w1", "m1", "new@example.com"))

    with pytest.raises(Conflict) as caught:
        await members.add(invitation("w1", "m2", "NEW@example.com"))
    assert caught.value.field == "email"


async def test_a_member_record_of_another_workspace_is_refused(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")

    with pytest.raises(InvalidRecord, match="w2"):
        await store.workspace("w1").members.add(seat("w2", "m1", "u1"))
    assert await store.workspace("w2").members.list() == []


async def test_adding_a_member_to_a_missing_workspace_raises_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        await store.workspace("ghost").members.add(seat("ghost", "m1", "u1"))


async def test_the_last_owner_can_be_neither_removed_nor_demoted(store: Store) -> None:
    await store.workspaces.create(Workspace(id="w1", slug="w1", name="W", created_at=NOW),
                                  owner=owner("w1"))
    members = store.workspace("w1").members

    with pytest.raises(LastOwner):
        await members.remove("m1")
    with pytest.raises(LastOwner):
        await members.set_role("m1", "admin")
    assert await members.get("m1") == owner("w1")


async def test_with_a_second_owner_the_first_may_step_down(store: Store) -> None:
    await store.workspaces.create(Workspace(id="w1", slug="w1", name="W", created_at=NOW),
                                  owner=owner("w1"))
    members = store.workspace("w1").members
    await members.add(seat("w1", "m2", "u2", role="owner"))

    demoted = await members.set_role("m1", "member")

    assert demoted.role == "member"
    assert await members.get("m1") == demoted
    with pytest.raises(LastOwner):
        await members.remove("m2")


async def test_concurrent_removal_of_two_owners_keeps_one(store: Store) -> None:
    await store.workspaces.create(Workspace(id="w1", slug="w1", name="W", created_at=NOW),
                                  owner=owner("w1"))
    members = store.workspace("w1").members
    await members.add(seat("w1", "m2", "u2", role="owner"))

    results = await asyncio.gather(
        members.remove("m1"), members.remove("m2"), return_exceptions=True
    )

    assert all(isinstance(r, (Member, LastOwner)) for r in results)
    remaining = [m for m in await members.list() if m.role == "owner"]
    assert len(remaining) >= 1
    assert len(remaining) + sum(isinstance(r, Member) for r in results) == 2


async def test_removing_or_changing_an_unknown_member_raises_not_found(store: Store) -> None:
    await make_workspace(store, "w1")
    members = store.workspace("w1").members

    with pytest.raises(NotFound):
        await members.remove("ghost")
    with pytest.raises(NotFound):
        await members.set_role("ghost", "admin")


async def test_an_unknown_role_is_refused(store: Store) -> None:
    await make_workspace(store, "w1")

    with pytest.raises(InvalidRecord, match="role"):
        await store.workspace("w1").members.set_role("m1", "emperor")  # type: ignore[arg-type]


# ---------------------------------------------------------------- membership index


async def test_a_user_lists_every_workspace_with_the_seat_held(store: Store) -> None:
    for ws in ("w2", "w1"):
        await store.workspaces.create(Workspace(id=ws, slug=ws, name=ws, created_at=NOW),
                                      owner=owner(ws))
    await store.workspaces.create(Workspace(id="w3", slug="w3", name="w3", created_at=NOW),
                                  owner=owner("w3", user_id="u9"))

    memberships = await store.memberships.list_for_user("u1")

    assert [(m.workspace.id, m.member.role) for m in memberships] == [
        ("w1", "owner"), ("w2", "owner")
    ]


async def test_logging_in_claims_pending_invitations(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")
    await store.workspace("w1").members.add(invitation("w1", "i1", "New@Example.com"))
    await store.workspace("w2").members.add(invitation("w2", "i2", "new@example.com"))
    await store.workspace("w2").members.add(seat("w2", "m1", "u7"))

    claimed = await store.memberships.claim_invitations("u7", "new@example.com")

    assert [(m.workspace_id, m.id, m.user_id) for m in claimed] == [("w1", "i1", "u7")]
    assert [m.id for m in await store.workspace("w2").members.list()] == ["m1"]
    assert await store.memberships.claim_invitations("u7", "new@example.com") == []


# ---------------------------------------------------------------- domains


async def test_a_claimed_domain_resolves_to_its_workspace(store: Store) -> None:
    await make_workspace(store, "w1")
    domain = Domain(domain="acme.example", workspace_id="w1", created_at=NOW)

    await store.workspace("w1").domains.claim(domain)
    await store.workspace("w1").domains.claim(domain)

    assert await store.domains.resolve("ACME.example") == domain
    assert await store.workspace("w1").domains.list() == [domain]


async def test_a_domain_belongs_to_at_most_one_workspace(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")
    await store.workspace("w1").domains.claim(Domain("acme.example", "w1", NOW))

    with pytest.raises(Conflict) as caught:
        await store.workspace("w2").domains.claim(Domain("acme.example", "w2", NOW))

    assert caught.value.field == "domain"
    assert await store.workspace("w2").domains.release("acme.example") is False
    resolved = await store.domains.resolve("acme.example")
    assert resolved is not None and resolved.workspace_id == "w1"


async def test_a_released_domain_no_longer_resolves(store: Store) -> None:
    await make_workspace(store, "w1")
    await store.workspace("w1").domains.claim(Domain("acme.example", "w1", NOW))

    assert await store.workspace("w1").domains.release("acme.example") is True
    assert await store.domains.resolve("acme.example") is None


async def test_concurrent_claims_of_one_domain_have_one_winner(store: Store) -> None:
    await make_workspace(store, "w1")
    await make_workspace(store, "w2")

    results = await asyncio.gather(
        store.workspace("w1").domains.claim(Domain("x.example", "w1", NOW)),
        store.workspace("w2").domains.claim(Domain("x.example", "w2", NOW)),
        return_exceptions=True,
    )

    assert sum(r is None for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 1


# ---------------------------------------------------------------- provisioning


async def test_workspace_data_needs_provisioned_storage(store: Store) -> None:
    await make_workspace(store, "w1", provision=False)

    with pytest.raises(WorkspaceNotProvisioned):
        await store.workspace("w1").apps.list()


async def test_provisioning_twice_keeps_the_data(store: Store) -> None:
    await make_workspace(store, "w1")
    app = InstalledApp("crm", "1.0", {"a": 1}, NOW)
    await store.workspace("w1").apps.put(app)

    await store.provision_workspace("w1")

    assert await store.workspace("w1").apps.list() == [app]


async def test_dropping_a_workspace_deletes_all_of_it_and_nothing_else(store: Store) -> None:
    for ws in ("w1", "w2"):
        await store.workspaces.create(Workspace(id=ws, slug=ws, name=ws, created_at=NOW),
                                      owner=owner(ws))
        await store.provision_workspace(ws)
        data = store.workspace(ws)
        await data.domains.claim(Domain(f"{ws}.example", ws, NOW))
        await data.apps.put(InstalledApp("crm", "1", {}, NOW))
        await data.brains.create(BrainRecord("b1", "B", {"g": 1}, NOW, NOW))
        await data.memories.put(Memory("m1", "fact", {"x": 1}, NOW))
        await data.threads.create(
            Thread("t1", "Hi", ("a@x",), NOW, (ThreadMessage(f"<{ws}@x>", "a@x", NOW, "b"),))
        )

    await store.drop_workspace("w1")

    assert await store.workspaces.get("w1") is None
    assert await store.domains.resolve("w1.example") is None
    assert [m.workspace.id for m in await store.memberships.list_for_user("u1")] == ["w2"]
    with pytest.raises(WorkspaceNotProvisioned):
        await store.workspace("w1").apps.list()
    survivor = store.workspace("w2")
    assert len(await survivor.apps.list()) == 1
    assert len(await survivor.brains.list()) == 1
    assert len(await survivor.memories.list()) == 1
    assert await survivor.threads.find_by_message_id("<w2@x>") is not None

    await make_workspace(store, "w1b")
    await store.workspaces.update("w1b", slug="w1")
    await store.provision_workspace("w1")
    fresh = store.workspace("w1")
    assert await fresh.apps.list() == []
    assert await fresh.brains.list() == []
    assert await fresh.threads.find_by_message_id("<w1@x>") is None


async def test_a_malformed_workspace_id_is_refused_before_any_io(store: Store) -> None:
    for bad in ("", "../etc", "a/b", "x" * 49, "w 1"):
        with pytest.raises(InvalidRecord):
            store.workspace(bad)
        with pytest.raises(InvalidRecord):
            await store.provision_workspace(bad)


async def test_a_closed_store_refuses_further_use(store: Store) -> None:
    await make_workspace(store, "w1")
    data = store.workspace("w1")

    await store.aclose()
    await store.aclose()

    with pytest.raises(StoreClosed):
        store.workspace("w1")
    with pytest.raises(StoreClosed):
        await store.users.get("u1")
    with pytest.raises(StoreClosed):
        await data.members.list()
    with pytest.raises(StoreClosed):
        await data.brains.list()


# ---------------------------------------------------------------- isolation


async def test_one_workspace_never_sees_or_changes_anothers_data(store: Store) -> None:
    await make_workspace(store, "wa")
    await make_workspace(store, "wb")
    a, b = store.workspace("wa"), store.workspace("wb")
    await a.members.add(seat("wa", "m1", "u1"))
    await a.domains.claim(Domain("a.example", "wa", NOW))
    await a.apps.put(InstalledApp("crm", "1", {"secret": "a"}, NOW))
    await a.brains.create(BrainRecord("b1", "A", {"secret": "a"}, NOW, NOW))
    await a.memories.put(Memory("mem1", "fact", {"secret": "a"}, NOW))
    await a.threads.create(Thread("t1", "A", ("x@a",), NOW, (ThreadMessage("<1@a>", "x", NOW,
                                                                              "a"),)))

    assert await b.members.list() == []
    assert await b.members.get("m1") is None
    assert await b.domains.list() == []
    assert await b.apps.get("crm") is None
    assert await b.brains.get("b1") is None
    assert await b.memories.list() == []
    assert await b.threads.get("t1") is None
    assert await b.threads.find_by_message_id("<1@a>") is None
    with pytest.raises(NotFound):
        await b.members.remove("m1")
    assert await b.apps.remove("crm") is False
    assert await b.brains.delete("b1") is False
    assert await b.memories.delete("mem1") is False
    assert await b.threads.delete("t1") is False
    assert await b.domains.release("a.example") is False
    assert await a.apps.get("crm") is not None
    assert await a.brains.get("b1") is not None
    assert await a.members.get("m1") is not None


async def test_equal_ids_in_two_workspaces_are_distinct_records(store: Store) -> None:
    await make_workspace(store, "wa")
    await make_workspace(store, "wb")

    await store.workspace("wa").brains.create(BrainRecord("b1", "A", {"w": "a"}, NOW, NOW))
    await store.workspace("wb").brains.create(BrainRecord("b1", "B", {"w": "b"}, NOW, NOW))
    await store.workspace("wa").threads.create(
        Thread("t1", "A", (), NOW, (ThreadMessage("<same@x>", "x", NOW, "a"),))
    )
    await store.workspace("wb").threads.create(
        Thread("t1", "B", (), NOW, (ThreadMessage("<same@x>", "x", NOW, "b"),))
    )

    brain_a = await store.workspace("wa").brains.get("b1")
    brain_b = await store.workspace("wb").brains.get("b1")
    assert brain_a is not None and brain_a.genome == {"w": "a"}
    assert brain_b is not None and brain_b.genome == {"w": "b"}
    thread_b = await store.workspace("wb").threads.find_by_message_id("<same@x>")
    assert thread_b is not None and thread_b.subject == "B"


def test_no_workspace_bound_method_takes_a_workspace_id(store: Store) -> None:
    data = store.workspace("w1")
    repositories = [data.members, data.domains, data.apps, data.brains, data.memories,
                    data.threads]

    for repository in repositories:
        for name, method in inspect.getmembers(repository, inspect.ismethod):
            if name.startswith("_"):
                continue
            parameters = inspect.signature(method).parameters
            assert "workspace_id" not in parameters, f"{type(repository).__name__}.{name}"
    assert data.workspace_id == "w1"
