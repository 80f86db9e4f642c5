"""Issue, list and revoke a brain's FEAGI keys (workspace admins).

``POST`` answers the key once (with the base URL path a FEAGI client is given); only its
SHA-256 is stored, and its hex form is the key's ``id`` for listing and revoking. A
revoked key answers 401 at once; deleting the brain deletes its keys.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from pydantic import BaseModel, Field
from starlette.requests import Request

from app.errors import ApiError
from app.feagi.keys import hash_key, new_key
from app.security import GuardedRouter
from tenancy.hosting import BrainHost, BrainNotFound
from tenancy.store import FeagiKey, Store

__all__ = ["MAX_LIVE_KEYS_PER_BRAIN", "api"]

MAX_LIVE_KEYS_PER_BRAIN: Final = 20

api = GuardedRouter(tags=("feagi",), max_body=1024)

_KEYS = "/v1/workspaces/{ws}/brains/{brain}/feagi_keys"
_HASH_HEX_CHARS = 64


class FeagiKeyOut(BaseModel):
    id: str = Field(description="Hex SHA-256 of the key: names it for listing and revoking.")
    brain_id: str
    created_at: datetime
    revoked: bool

    @classmethod
    def of(cls, key: FeagiKey) -> FeagiKeyOut:
        return cls(id=key.key_hash.hex(), brain_id=key.brain_id, created_at=key.created_at,
                   revoked=key.revoked)


class FeagiKeyCreated(FeagiKeyOut):
    key: str = Field(description="The secret, shown only in this answer.")
    base_path: str = Field(
        description="Give a FEAGI client http(s)://<this host><base_path> as its engine URL.")


class FeagiKeyList(BaseModel):
    keys: list[FeagiKeyOut]


def _parts(request: Request) -> tuple[Store, BrainHost]:
    services = getattr(request.app.state, "services", None)
    store = getattr(services, "store", None)
    host = getattr(services, "brains", None)
    if store is None or not isinstance(host, BrainHost):
        raise ApiError(503, "unavailable", "the brain host is starting or stopping")
    return store, host


async def _brain_of_workspace(request: Request) -> tuple[Store, BrainHost, str, str]:
    """The store, host, workspace id and brain id; `BrainNotFound` for another workspace's
    brain."""
    store, host = _parts(request)
    ws, brain = request.path_params["ws"], request.path_params["brain"]
    if await host.brain_workspace(brain) != ws:
        raise BrainNotFound(brain)
    return store, host, ws, brain


@api.post(_KEYS, response=FeagiKeyCreated, status=201, role="admin", errors=(503,))
async def create_feagi_key(request: Request) -> FeagiKeyCreated:
    """Issue a FEAGI key for the brain (admin); the key is shown once."""
    store, _, ws, brain = await _brain_of_workspace(request)
    live = [k for k in await store.feagi_keys.list_for_brain(ws, brain) if not k.revoked]
    if len(live) >= MAX_LIVE_KEYS_PER_BRAIN:
        raise ApiError(403, "quota_exceeded",
                       f"a brain has at most {MAX_LIVE_KEYS_PER_BRAIN} live FEAGI keys; revoke "
                       "one first", {"feagi_keys": f"limit {MAX_LIVE_KEYS_PER_BRAIN}"})
    key = new_key()
    record = FeagiKey(hash_key(key), ws, brain, created_at=datetime.now(UTC))
    await store.feagi_keys.create(record)
    return FeagiKeyCreated(**FeagiKeyOut.of(record).model_dump(), key=key,
                           base_path=f"/feagi/{key}")


@api.get(_KEYS, response=FeagiKeyList, role="admin")
async def list_feagi_keys(request: Request) -> FeagiKeyList:
    """The brain's FEAGI keys, revoked ones included, without their secrets (admin)."""
    store, _, ws, brain = await _brain_of_workspace(request)
    keys = await store.feagi_keys.list_for_brain(ws, brain)
    return FeagiKeyList(keys=[FeagiKeyOut.of(k) for k in keys])


@api.delete(_KEYS + "/{key_id}", status=204, role="admin")
async def revoke_feagi_key(request: Request) -> None:
    """Revoke one of the brain's FEAGI keys (admin); it answers 401 from now on."""
    store, host, ws, brain = await _brain_of_workspace(request)
    key_id = request.path_params["key_id"]
    keys = await store.feagi_keys.list_for_brain(ws, brain)
    match = next((k for k in keys if len(key_id) == _HASH_HEX_CHARS
                  and k.key_hash.hex() == key_id.lower()), None)
    if match is None:
        raise ApiError(404, "not_found", f"brain {brain} has no FEAGI key {key_id!r}")
    if not match.revoked:
        await host.revoke_feagi_key(match.key_hash)
