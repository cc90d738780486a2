"""The vectorised reader of one decompressed TBranchObject basket (spec §5.6).

uproot builds a Python object per entry, which caps it at a few thousand histograms per second.  Here an entry
is walked in Python (``streamer.walk_entry``) only when its layout has not been seen before; every entry that
shares a layout (same length, same structure bytes) is then decoded with a handful of numpy operations over
the whole group: fEntries, the axis limits, the edges and the bin arrays are gathered as big-endian columns and
converted at once.  Entries of other layouts are grouped in turn, so varying object sizes stay correct; an
entry whose walk fails comes back as a ``Problem`` for the caller to fall back on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .decoded import Axis, DecodedME, Problem, strip_flows
from .metypes import METype
from .streamer import AxisLayout, EntryLayout, NotDecodable, walk_entry

_F8 = np.dtype(">f8")


class LayoutMemo:
    """Layouts already walked in one tree, so later baskets are checked by comparing bytes instead of walking.

    Comparing an entry's structure bytes with a known layout's signature is exactly as strict as walking it:
    the walk's every decision depends only on those bytes and the entry length.  The memo is bounded because
    real files name objects after their MEs and so have many layouts.
    """

    def __init__(self, size: int = 32):
        self._size = size
        self._layouts: list[EntryLayout] = []

    def find(self, data: np.ndarray, start: int, length: int) -> EntryLayout | None:
        for layout in self._layouts:
            if layout.length == length and (data[start + layout.structure] == layout.signature).all():
                return layout
        return None

    def remember(self, layout: EntryLayout) -> None:
        self._layouts.insert(0, layout)
        del self._layouts[self._size:]


@dataclass(frozen=True)
class _Group:
    """Entries of one basket that share a layout: their start offsets, and the common spacing if there is one."""

    starts: np.ndarray
    step: int | None

    @classmethod
    def of(cls, starts: np.ndarray) -> _Group:
        if starts.size == 1:
            return cls(starts, 0)
        steps = starts[1:] - starts[:-1]  # not np.diff: its Python overhead shows on one-entry baskets
        return cls(starts, int(steps[0]) if (steps == steps[0]).all() else None)

    def columns(self, data: np.ndarray, at: int, count: int, dtype: np.dtype) -> np.ndarray:
        """``count`` values of ``dtype`` at entry offset ``at`` of every entry, as an ``(entries, count)`` array.

        Evenly spaced entries (same-sized objects back to back, the usual case) give a strided view of the basket
        without a copy; otherwise each entry's slice is copied into one array.
        """
        width = count * dtype.itemsize
        first = int(self.starts[0]) + at
        if self.step is None:
            raw = np.stack([data[start:start + width] for start in (self.starts + at).tolist()])
        elif len(self.starts) == 1:
            raw = data[first:first + width].reshape(1, width)
        else:
            raw = np.lib.stride_tricks.as_strided(data[first:], shape=(len(self.starts), width),
                                                  strides=(self.step, 1), writeable=False)
        return raw.view(dtype)


def decode_basket(data: np.ndarray, byte_offsets: np.ndarray | None, me_type: METype,
                  memo: LayoutMemo | None = None) -> list[DecodedME | Problem]:
    """One result per entry of the basket, in entry order; ``NotDecodable`` if the basket's offsets are unusable."""
    data = np.ascontiguousarray(data, dtype=np.uint8)
    memo = memo if memo is not None else LayoutMemo()
    starts, lengths = _entry_spans(data, byte_offsets)
    results: list[DecodedME | Problem | None] = [None] * len(starts)
    pending = np.arange(len(starts))
    while pending.size:
        head = int(pending[0])
        try:
            layout = _layout_of(data, int(starts[head]), int(lengths[head]), me_type, memo)
        except NotDecodable as exc:
            results[head] = Problem("unreadable_object", f"fast reader: {exc}")
            pending = pending[1:]
            continue
        group = _entries_sharing(data, starts, lengths, pending, layout)
        for index, decoded in zip(group.tolist(), _decode_group(data, _Group.of(starts[group]), layout, me_type),
                                  strict=True):
            results[index] = decoded
        pending = np.setdiff1d(pending, group, assume_unique=True) if group.size < pending.size else pending[:0]
    return results


def _entry_spans(data: np.ndarray, byte_offsets: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    if byte_offsets is None or len(byte_offsets) < 1:
        raise NotDecodable("the basket has no entry offsets")
    offsets = np.asarray(byte_offsets, dtype=np.int64)
    lengths = offsets[1:] - offsets[:-1]
    if offsets[0] < 0 or offsets[-1] > data.size or (lengths.size and lengths.min() <= 0):
        raise NotDecodable("the basket's entry offsets do not partition its data")
    return offsets[:-1], lengths


def _layout_of(data: np.ndarray, start: int, length: int, me_type: METype, memo: LayoutMemo) -> EntryLayout:
    layout = memo.find(data, start, length)
    if layout is None:
        layout = walk_entry(data, start, start + length, me_type)
        memo.remember(layout)
    return layout


def _entries_sharing(data: np.ndarray, starts: np.ndarray, lengths: np.ndarray, pending: np.ndarray,
                     layout: EntryLayout) -> np.ndarray:
    """The pending entries (the head among them) whose length and structure bytes match ``layout``."""
    if pending.size == 1:  # only the head, whose own bytes gave ``layout`` (one TH2F per basket is usual)
        return pending
    candidates = pending[lengths[pending] == layout.length]
    structure = data[starts[candidates, None] + layout.structure]
    return candidates[(structure == layout.signature).all(axis=1)]


def _decode_group(data: np.ndarray, group: _Group, layout: EntryLayout, me_type: METype) -> list[DecodedME]:
    """Decode entries that share ``layout`` together: one numpy read per field for the whole group."""
    entries = group.columns(data, layout.entries_at, 1, _F8)[:, 0].tolist()
    x = _axes_of_group(data, group, layout.axes[0])
    ny = layout.axes[1].nbins if me_type.dimensionality == 2 else None
    y = _axes_of_group(data, group, layout.axes[1]) if ny is not None else [None] * len(entries)
    flat = group.columns(data, layout.cells_at, layout.cells, me_type.stored)
    values = strip_flows(flat, layout.axes[0].nbins, ny, me_type.native)
    return [DecodedME(entries[i], x[i], y[i], values[i]) for i in range(len(entries))]


def _axes_of_group(data: np.ndarray, group: _Group, axis: AxisLayout) -> list[Axis]:
    limits = group.columns(data, axis.limits_at, 2, _F8).tolist()
    if axis.edge_count == 0:
        return [Axis(axis.nbins, low, high, None) for low, high in limits]
    edges = group.columns(data, axis.edges_at, axis.edge_count, _F8).astype(np.float64)
    return [Axis(axis.nbins, low, high, edges[i]) for i, (low, high) in enumerate(limits)]
