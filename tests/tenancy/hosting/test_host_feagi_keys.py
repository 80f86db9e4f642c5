"""FEAGI keys as the host resolves them: a live key is remembered for a second (FEAGI clients
poll), so a key revoked or a brain deleted through this host stops opening it at once, and a
key revoked by another process (here: straight in the store) within that second.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from host_support import Hosted

from tenancy.store import FeagiKey

TTL_S = 1.0  # HostConfig's default, as BRAINHOST_AUTH_CACHE_TTL's


async def issue(hosted: Hosted, workspace_id: str, brain_id: str, secret: str) -> bytes:
    key_hash = hashlib.sha256(secret.encode()).digest()
    await hosted.store.feagi_keys.create(
        FeagiKey(key_hash, workspace_id, brain_id, created_at=datetime.now(UTC))
    )
    return key_hash


async def test_a_key_revoked_through_the_host_opens_nothing_at_once(hosted: Hosted) -> None:
    host = hosted.host
    brain = await host.create_brain("w1", name="a", template="barebones")
    key = await issue(hosted, "w1", brain.id, "k1")
    assert await host.feagi_key(key) == ("w1", brain.id)

    assert await host.revoke_feagi_key(key) is True

    assert await host.feagi_key(key) is None


async def test_a_key_revoked_by_another_process_opens_nothing_after_the_ttl(
    hosted: Hosted,
) -> None:
    host = hosted.host
    brain = await host.create_brain("w1", name="a", template="barebones")
    key = await issue(hosted, "w1", brain.id, "k1")
    assert await host.feagi_key(key) == ("w1", brain.id)

    await hosted.store.feagi_keys.revoke(key)

    assert await host.feagi_key(key) == ("w1", brain.id)  # still trusted, without a read
    await hosted.clock.advance(TTL_S + 0.01)
    assert await host.feagi_key(key) is None


async def test_a_remembered_key_opens_only_its_own_brain(hosted: Hosted) -> None:
    host = hosted.host
    first = await host.create_brain("w1", name="a", template="barebones")
    second = await host.create_brain("w2", name="b", template="barebones")
    keys = {
        await issue(hosted, "w1", first.id, "k1"): ("w1", first.id),
        await issue(hosted, "w2", second.id, "k2"): ("w2", second.id),
    }
    for key in keys:
        await host.feagi_key(key)

    for key, opens in keys.items():
        assert await host.feagi_key(key) == opens


async def test_deleting_a_brain_ends_its_remembered_keys_at_once(hosted: Hosted) -> None:
    host = hosted.host
    brain = await host.create_brain("w1", name="a", template="barebones")
    key = await issue(hosted, "w1", brain.id, "k1")
    assert await host.feagi_key(key) == ("w1", brain.id)

    await host.delete_brain("w1", brain.id)

    assert await host.feagi_key(key) is None


async def test_forgetting_a_workspace_ends_its_remembered_keys(hosted: Hosted) -> None:
    host = hosted.host
    brain = await host.create_brain("w1", name="a", template="barebones")
    key = await issue(hosted, "w1", brain.id, "k1")
    assert await host.feagi_key(key) == ("w1", brain.id)

    await host.forget_workspace("w1")
    await hosted.store.drop_workspace("w1")

    assert await host.feagi_key(key) is None


async def test_an_unknown_key_opens_nothing(hosted: Hosted) -> None:
    assert await hosted.host.feagi_key(hashlib.sha256(b"never issued").digest()) is None
