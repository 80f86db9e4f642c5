"""Cortical ids as the FEAGI engine shows them: base64 of 8 bytes.

Our genomes keep FEAGI's 6-character ids (``c__for``, ``_power``, ``iic400``). feagi-core
turns them into 8-byte ids when it loads a genome and its REST API speaks only those,
base64-encoded. The conversion measured on engine 0.0.67 (notes §1.5, feagi-counts.md):

* core areas get their fixed ids (``___pwr`` / ``_power`` -> ``___power``, ...);
* custom and memory ids are right-padded with ``_`` and start lower-case
  (``c__for`` -> ``c__for__``, v2.0's ``Cabcde`` -> ``cabcde__``);
* segmented vision (``iic000``..``iic800``, ``iv00BL``..``iv00TR``, ``iv00_C``) becomes
  ``isvi`` + one byte ``tile << 4 | 0x09`` + three zero bytes; motor ``omot00`` / ``o__mot``
  becomes ``omot\\x05\\0\\0\\0`` and gaze ``ogaz00`` becomes ``ogaz\\x02\\0\\0\\0``.

Other I/O ids are padded with ``_`` like custom ones (the engine's typed encoding of the
other unit types was not measured); an id that would collide or does not fit 8 bytes gets
a stable hashed id instead. :class:`CorticalIdMap` is the per-brain bijection the API uses;
it accepts the base64 form, the 8-byte form and the genome's own id on input.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

from brains.connectome import CORE_AREAS, core_kind

__all__ = ["CorticalIdMap", "encode_id", "feagi_id_bytes"]

_CORE_BYTES: Final = MappingProxyType({c.kind: c.cortical_id.encode() for c in CORE_AREAS})

# Segmented-vision tiles in the engine's order (tile index = position).
_VISION_TILES: Final = ("BL", "BM", "BR", "ML", "_C", "MR", "TL", "TM", "TR")
_VISION_CONFIG: Final = 0x09
_TYPED_OUTPUTS: Final = MappingProxyType({
    "omot00": b"omot\x05\x00\x00\x00",
    "o__mot": b"omot\x05\x00\x00\x00",
    "ogaz00": b"ogaz\x02\x00\x00\x00",
})
_ID_BYTES: Final = 8


def _vision_tile(cortical_id: str) -> int | None:
    if cortical_id.startswith("iv00") and cortical_id[4:] in _VISION_TILES:
        return _VISION_TILES.index(cortical_id[4:])
    if (len(cortical_id) == 6 and cortical_id.startswith("iic") and cortical_id[3].isdigit()
            and cortical_id[4:] == "00" and int(cortical_id[3]) < len(_VISION_TILES)):
        return int(cortical_id[3])
    return None


def feagi_id_bytes(cortical_id: str) -> bytes | None:
    """The 8 bytes feagi-core gives a genome id, or ``None`` when it has no such form."""
    kind = core_kind(cortical_id)
    if kind is not None:
        return _CORE_BYTES[kind]
    tile = _vision_tile(cortical_id)
    if tile is not None:
        return b"isvi" + bytes([tile << 4 | _VISION_CONFIG]) + b"\x00\x00\x00"
    typed = _TYPED_OUTPUTS.get(cortical_id)
    if typed is not None:
        return typed
    try:
        raw = cortical_id.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not raw or len(raw) > _ID_BYTES:
        return None
    if raw[:1] in (b"C", b"M"):
        raw = raw[:1].lower() + raw[1:]
    return raw.ljust(_ID_BYTES, b"_")


def encode_id(raw: bytes) -> str:
    """Base64 of an 8-byte id, as the API shows it."""
    return base64.b64encode(raw).decode("ascii")


def _hashed(cortical_id: str, salt: int) -> bytes:
    digest = hashlib.blake2b(f"{salt}:{cortical_id}".encode(), digest_size=7).digest()
    return b"x" + digest


class CorticalIdMap:
    """The bijection between a brain's cortical ids and the API's base64 ids."""

    def __init__(self, cortical_ids: Iterable[str]) -> None:
        to_api: dict[str, str] = {}
        to_local: dict[str, str] = {}
        for cid in cortical_ids:
            raw = feagi_id_bytes(cid)
            salt = 0
            while raw is None or encode_id(raw) in to_local:
                raw = _hashed(cid, salt)
                salt += 1
            api = encode_id(raw)
            to_api[cid] = api
            to_local[api] = cid
        self._to_api = to_api
        self._to_local = to_local
        # The 8-byte spelling of printable ids is accepted on input too (the engine does).
        self._by_bytes: dict[str, str] = {}
        for api, cid in to_local.items():
            raw = base64.b64decode(api)
            if raw.isascii() and raw.decode("ascii").isprintable():
                self._by_bytes[raw.decode("ascii")] = cid

    @property
    def api_ids(self) -> Mapping[str, str]:
        """Base64 id by genome id, in area order."""
        return MappingProxyType(self._to_api)

    def to_api(self, cortical_id: str) -> str:
        return self._to_api[cortical_id]

    def to_local(self, given: str) -> str | None:
        """The genome id for a base64, 8-character or genome id; ``None`` when unknown."""
        if given in self._to_local:
            return self._to_local[given]
        if given in self._to_api:
            return given
        return self._by_bytes.get(given)
