"""Engine state as named numpy arrays, serialisable to bytes without pickle."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from brains.npu.errors import InvalidSnapshotError

__all__ = ["EngineSnapshot"]

_FORMAT = 1


@dataclass(frozen=True, slots=True)
class EngineSnapshot:
    """Every mutable array of an engine (neuron state, fire queue, synapses), copied."""

    arrays: Mapping[str, NDArray[np.generic]]

    def to_bytes(self) -> bytes:
        """An ``.npz`` archive (``allow_pickle=False`` safe) with a format version."""
        buffer = io.BytesIO()
        arrays: dict[str, Any] = {"__format__": np.array([_FORMAT], np.int64), **self.arrays}
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> EngineSnapshot:
        """Parse :meth:`to_bytes` output; :class:`InvalidSnapshotError` when it is not one."""
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise InvalidSnapshotError(f"not an engine snapshot: {exc}") from exc
        version = arrays.pop("__format__", None)
        if version is None or version.tolist() != [_FORMAT]:
            raise InvalidSnapshotError(
                f"snapshot format {None if version is None else version.tolist()}, "
                f"expected [{_FORMAT}]"
            )
        return cls(arrays=arrays)
