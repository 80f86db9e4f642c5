"""Per-axis relation tables: the vectorised kernels of synaptogenesis.

Every built-in morphology except ``randomizer`` is *separable*: whether source voxel
``(sx, sy, sz)`` connects to destination voxel ``(dx, dy, dz)`` is decided axis by axis
(projector scaling, vector offsets, pattern elements, binary expansion, ...). So a
morphology is described by three tables of ``(source coordinate, destination coordinate)``
pairs, one per destination axis, and its voxel pairs are their Cartesian product, built in
one broadcast (:func:`product`). No Python loop runs per voxel, neuron or synapse; the
tables are as long as an axis (or axis x axis for patterns).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from brains.genome.model import PatternElement, PatternKind

__all__ = [
    "AxisTable",
    "block_connection_axis",
    "collapse_axis",
    "expander_axis",
    "identity_axis",
    "lateral_pairs_axis",
    "offset_axis",
    "pattern_axis",
    "product",
    "product_size",
    "projector_axis",
    "reducer_axis",
    "restrict_source",
    "single_axis",
    "tile_axis",
]

I64 = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class AxisTable:
    """Pairs ``(src[i], dst[i])`` of coordinates along one axis that connect."""

    src: I64
    dst: I64

    def __len__(self) -> int:
        return int(self.src.shape[0])


def _table(src: NDArray[np.integer], dst: NDArray[np.integer]) -> AxisTable:
    return AxisTable(np.ascontiguousarray(src, dtype=np.int64),
                     np.ascontiguousarray(dst, dtype=np.int64))


_EMPTY = np.zeros(0, dtype=np.int64)


def projector_axis(size_src: int, size_dst: int) -> AxisTable:
    """feagi-core's projector along one axis, in float32 arithmetic as the engine does.

    Larger source: ``dst = trunc(src / (S/D))``; smaller source: every ``dst`` with
    ``trunc(dst / (D/S)) == src``; equal sizes: identity.
    """
    if size_src > size_dst:
        ratio = np.float32(size_src) / np.float32(size_dst)
        src = np.arange(size_src, dtype=np.int64)
        dst = (src.astype(np.float32) / ratio).astype(np.int64)
        keep = dst < size_dst
        return _table(src[keep], dst[keep])
    if size_src < size_dst:
        ratio = np.float32(size_dst) / np.float32(size_src)
        dst = np.arange(size_dst, dtype=np.int64)
        src = (dst.astype(np.float32) / ratio).astype(np.int64)
        keep = src < size_src
        return _table(src[keep], dst[keep])
    return identity_axis(size_src, size_dst)


def identity_axis(size_src: int, size_dst: int) -> AxisTable:
    """Coordinate ``c`` connects to ``c`` where both areas have it."""
    c = np.arange(min(size_src, size_dst), dtype=np.int64)
    return _table(c, c)


def offset_axis(size_src: int, size_dst: int, offset: int) -> AxisTable:
    """Coordinate ``c`` connects to ``c + offset`` when that is inside the destination."""
    src = np.arange(size_src, dtype=np.int64)
    dst = src + offset
    keep = (dst >= 0) & (dst < size_dst)
    return _table(src[keep], dst[keep])


def collapse_axis(size_src: int, size_dst: int, target: int = 0) -> AxisTable:
    """Every source coordinate connects to ``target`` (if the destination has it)."""
    if not 0 <= target < size_dst:
        return _table(_EMPTY, _EMPTY)
    src = np.arange(size_src, dtype=np.int64)
    return _table(src, np.full_like(src, target))


def single_axis(src: int, dst: int, size_src: int, size_dst: int) -> AxisTable:
    """Only source coordinate ``src`` connects, to ``dst``."""
    if 0 <= src < size_src and 0 <= dst < size_dst:
        return _table(np.array([src]), np.array([dst]))
    return _table(_EMPTY, _EMPTY)


def block_connection_axis(size_src: int, size_dst: int, block: int) -> AxisTable:
    """``c`` connects to ``c // block`` (Python FEAGI's ``block_connection``, block 10)."""
    src = np.arange(size_src, dtype=np.int64)
    dst = src // block
    keep = dst < size_dst
    return _table(src[keep], dst[keep])


def lateral_pairs_axis(size_src: int, size_dst: int) -> AxisTable:
    """Even ``c`` connects to ``c + 1``, odd ``c`` to ``c - 1`` (within both areas)."""
    src = np.arange(size_src, dtype=np.int64)
    dst = np.where(src % 2 == 0, src + 1, src - 1)
    keep = (dst >= 0) & (dst < size_src) & (dst < size_dst)
    return _table(src[keep], dst[keep])


def _bit_length(values: I64) -> I64:
    out = np.ones_like(values)
    positive = values > 0
    out[positive] = np.floor(np.log2(values[positive])).astype(np.int64) + 1
    return out


def expander_axis(size_src: int, size_dst: int) -> AxisTable:
    """Binary expansion: destination ``d`` connects from ``c`` when bit ``c`` of ``d`` is 1.

    Bits are numbered from the most significant, ``d`` written on as many bits as the
    largest code ``size_dst - 1`` needs, so the expander is the exact inverse of
    :func:`reducer_axis` (Python FEAGI used one bit more, which left source 0 unwired);
    ``c`` beyond that width connects nowhere.
    """
    width = max(int(size_dst - 1).bit_length(), 1)
    src = np.arange(min(size_src, width), dtype=np.int64)
    dst = np.arange(size_dst, dtype=np.int64)
    cc, dd = np.meshgrid(src, dst, indexing="ij")
    bits = (dd >> (width - 1 - cc)) & 1
    keep = bits == 1
    return _table(cc[keep], dd[keep])


def reducer_axis(size_src: int, size_dst: int) -> AxisTable:
    """The inverse of the expander: ``c`` written in binary (at least ``size_dst`` bits,
    most significant first) connects to every destination ``d`` whose bit is 1."""
    src = np.arange(size_src, dtype=np.int64)
    dst = np.arange(size_dst, dtype=np.int64)
    cc, dd = np.meshgrid(src, dst, indexing="ij")
    width = np.maximum(_bit_length(cc), size_dst)
    bits = (cc >> (width - 1 - dd)) & 1
    keep = bits == 1
    return _table(cc[keep], dd[keep])


def _source_coordinates(element: PatternElement, size_src: int) -> I64:
    kind = element.kind
    if kind is PatternKind.EXACT:
        value = element.value
        if 0 <= value < size_src:
            return np.array([value], dtype=np.int64)
        return _EMPTY
    if kind is PatternKind.ABSOLUTE_RANGE:
        low, high = max(element.low, 0), min(element.high, size_src - 1)
        return np.arange(low, high + 1, dtype=np.int64) if low <= high else _EMPTY
    # feagi-core: relative tokens cannot filter a source on their own, they match all.
    return np.arange(size_src, dtype=np.int64)


def pattern_axis(source: PatternElement, destination: PatternElement,
                 size_src: int, size_dst: int) -> AxisTable:
    """The pairs one axis of a pattern allows (feagi-core's full token vocabulary)."""
    src = _source_coordinates(source, size_src)
    kind = destination.kind
    if src.size == 0:
        return _table(_EMPTY, _EMPTY)
    # One destination per source coordinate: no grid needed.
    if kind is PatternKind.EXACT:
        if 0 <= destination.value < size_dst:
            return _table(src, np.full_like(src, destination.value))
        return _table(_EMPTY, _EMPTY)
    if kind in (PatternKind.SAME, PatternKind.OFFSET):
        dst = src + (destination.value if kind is PatternKind.OFFSET else 0)
        inside = (dst >= 0) & (dst < size_dst)
        return _table(src[inside], dst[inside])
    cc = np.repeat(src, size_dst)
    dd = np.tile(np.arange(size_dst, dtype=np.int64), src.size)
    if kind is PatternKind.ANY:
        return _table(cc, dd)
    if kind is PatternKind.EXCEPT:
        keep = dd != cc
    elif kind is PatternKind.ABOVE:
        keep = dd > cc
    elif kind is PatternKind.BELOW:
        keep = dd < cc
    elif kind is PatternKind.ABOVE_OR_SAME:
        keep = dd >= cc
    elif kind is PatternKind.BELOW_OR_SAME:
        keep = dd <= cc
    elif kind is PatternKind.RELATIVE_RANGE:
        keep = (dd >= cc + destination.low) & (dd <= cc + destination.high)
    else:  # ABSOLUTE_RANGE
        keep = (dd >= destination.low) & (dd <= destination.high)
    return _table(cc[keep], dd[keep])


def tile_axis(local: AxisTable, starts: I64) -> AxisTable:
    """Repeat a table built in a tile's local frame at every tile start (composite)."""
    if len(local) == 0 or starts.size == 0:
        return _table(_EMPTY, _EMPTY)
    src = (starts[:, None] + local.src[None, :]).ravel()
    dst = np.broadcast_to(local.dst[None, :], (starts.size, len(local))).ravel()
    return _table(src, dst)


def restrict_source(table: AxisTable, allowed: NDArray[np.bool_]) -> AxisTable:
    """Keep only pairs whose source coordinate is flagged in ``allowed``."""
    keep = allowed[table.src]
    return _table(table.src[keep], table.dst[keep])


def product_size(tables: tuple[AxisTable, AxisTable, AxisTable]) -> int:
    """How many voxel pairs :func:`product` would produce (checked before allocating)."""
    return len(tables[0]) * len(tables[1]) * len(tables[2])


def product(tables: tuple[AxisTable, AxisTable, AxisTable],
            src_dims: tuple[int, int, int], dst_dims: tuple[int, int, int],
            src_axes: tuple[int, int, int] = (0, 1, 2)) -> tuple[I64, I64]:
    """Voxel pairs of a separable morphology as linear voxel indices.

    ``tables[i]`` relates destination axis ``i`` to source axis ``src_axes[i]`` (a
    permutation: the transposing projectors). Linear index of ``(x, y, z)`` in dims
    ``(X, Y, Z)`` is ``(x * Y + y) * Z + z``, the order neurons are created in.
    """
    src_strides = (src_dims[1] * src_dims[2], src_dims[2], 1)
    dst_strides = (dst_dims[1] * dst_dims[2], dst_dims[2], 1)
    t0, t1, t2 = tables
    s0 = t0.src * src_strides[src_axes[0]]
    s1 = t1.src * src_strides[src_axes[1]]
    s2 = t2.src * src_strides[src_axes[2]]
    d0 = t0.dst * dst_strides[0]
    d1 = t1.dst * dst_strides[1]
    d2 = t2.dst * dst_strides[2]
    src = (s0[:, None, None] + s1[None, :, None] + s2[None, None, :]).ravel()
    dst = (d0[:, None, None] + d1[None, :, None] + d2[None, None, :]).ravel()
    return src, dst
