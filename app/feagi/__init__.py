"""FEAGI's REST API (``/v1/...``) for one brainhost brain, under ``/feagi/{key}``.

Mount :class:`FeagiApp` at ``/feagi/{key}``; it resolves the key to a
:class:`FeagiBrainAccess` through the app's :class:`FeagiKeyResolver` and serves the FEAGI
routes listed in ``docs/feagi-api.md`` with the engine's field names, base64 cortical ids
and JSON shapes.
"""

from app.feagi.access import (
    FeagiBrainAccess,
    FeagiKeyResolver,
    LocalBrainAccess,
    RunState,
    StaticKeyResolver,
)
from app.feagi.app import FeagiApp, services_resolver
from app.feagi.errors import FeagiError
from app.feagi.hosted import HostedBrainAccess, HostKeyResolver
from app.feagi.ids import CorticalIdMap, encode_id, feagi_id_bytes
from app.feagi.keys import KEY_PREFIX, hash_key, new_key, redact_path

__all__ = [
    "KEY_PREFIX",
    "CorticalIdMap",
    "FeagiApp",
    "FeagiBrainAccess",
    "FeagiError",
    "FeagiKeyResolver",
    "HostKeyResolver",
    "HostedBrainAccess",
    "LocalBrainAccess",
    "RunState",
    "StaticKeyResolver",
    "encode_id",
    "feagi_id_bytes",
    "hash_key",
    "new_key",
    "redact_path",
    "services_resolver",
]
