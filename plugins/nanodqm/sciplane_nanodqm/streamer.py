"""Finding where a TH1/TH2 object's fields sit inside one TBranchObject entry (spec §5.6).

An entry is a class-name header followed by the object's streamer: nested blocks, each opened by a big-endian
byte count (flagged with ``0x40000000``) and a class version.  Names and titles have free length, so nothing
is at a fixed offset; the walk below follows the byte counts instead, reads only what locates the fields the
records need, and checks the entry's consistency on the way.  Anything unexpected raises ``NotDecodable`` so
the caller can hand the entry to uproot.

The walk also lists every byte it relied on (headers, byte counts, versions, bin and array counts).  Two
entries of equal length whose listed bytes are equal have the same layout, which is what lets the basket
decoder handle a whole group of entries with one walk and vectorised numpy reads.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from .decoded import cell_count
from .metypes import METype

_BYTE_COUNT_FLAG = 0x40000000
_VERSION_CHECKSUM_FLAG = 0x4000  # a version with this bit is followed by a checksum we do not expect here
_U32 = struct.Struct(">I")
_I32 = struct.Struct(">i")
_U16 = struct.Struct(">H")

# Oldest class versions whose member order up to the fields we read is the one walked below; older objects
# are left to uproot, which reads them from the file's streamer infos.
_MIN_VERSION = {"TH1": 5, "TH2": 3, "TAxis": 6}


class NotDecodable(Exception):
    """The entry is not laid out as the fast reader expects; the message says what differed."""


@dataclass(frozen=True)
class AxisLayout:
    nbins: int
    limits_at: int  # entry-relative offset of fXmin; fXmax follows
    edges_at: int  # entry-relative offset of the fXbins doubles
    edge_count: int


@dataclass(frozen=True)
class EntryLayout:
    length: int
    structure: np.ndarray  # entry-relative offsets of the bytes that fix this layout
    signature: np.ndarray  # the values of those bytes in the walked entry
    entries_at: int  # entry-relative offset of fEntries
    axes: tuple[AxisLayout, ...]  # x, and y for 2D
    cells_at: int  # entry-relative offset of the first bin value
    cells: int  # fN of the bin array, flows included


class _Cursor:
    """Reads big-endian fields of one entry, never past the innermost open block."""

    def __init__(self, data: np.ndarray, start: int, stop: int):
        self.data = data
        self.start = start
        self.pos = start
        self.block_ends = [stop]
        self.structure: list[int] = []

    def take(self, width: int, *, structural: bool = False) -> int:
        """Advance over ``width`` bytes and return where they start."""
        where = self.pos
        if width < 0 or where + width > self.block_ends[-1]:
            raise NotDecodable(f"a field at byte {where - self.start} runs past its enclosing block")
        if structural:
            self.structure.extend(range(where - self.start, where - self.start + width))
        self.pos = where + width
        return where

    def int32(self) -> int:
        """A count the layout depends on (bins, edges, cells), hence structural."""
        return _I32.unpack_from(self.data, self.take(4, structural=True))[0]

    def class_header(self, expected: bytes) -> None:
        """The class name a TBranchObject entry starts with: a ROOT string, then one NUL byte."""
        length = int(self.data[self.take(1, structural=True)])
        if length == 255:
            length = _U32.unpack_from(self.data, self.take(4, structural=True))[0]
        name = bytes(self.data[self.take(length, structural=True):self.pos])
        terminator = int(self.data[self.take(1, structural=True)])
        if name != expected or terminator != 0:
            raise NotDecodable(f"the class header names {name!r}, expected {expected!r}")

    def open_block(self, what: str, min_version: int = 0) -> int:
        """Enter a versioned block: check its byte count nests in the enclosing one, return the block's end."""
        count = _U32.unpack_from(self.data, self.take(4, structural=True))[0]
        version = _U16.unpack_from(self.data, self.take(2, structural=True))[0]
        if not count & _BYTE_COUNT_FLAG:
            raise NotDecodable(f"{what} has no byte count")
        end = self.pos - 2 + (count & ~_BYTE_COUNT_FLAG)
        if not self.pos <= end <= self.block_ends[-1]:
            raise NotDecodable(f"{what}'s byte count does not fit its enclosing block")
        if version & _VERSION_CHECKSUM_FLAG or version < min_version:
            raise NotDecodable(f"{what} has version {version}, which the fast reader does not know")
        self.block_ends.append(end)
        return end

    def close_block(self) -> None:
        self.pos = self.block_ends.pop()

    def skip_block(self, what: str) -> None:
        self.open_block(what)
        self.close_block()


def _walk_axis(cursor: _Cursor) -> AxisLayout:
    cursor.open_block("TAxis", _MIN_VERSION["TAxis"])
    cursor.skip_block("TNamed")
    cursor.skip_block("TAttAxis")
    nbins = cursor.int32()
    limits_at = cursor.take(16)
    edge_count = cursor.int32()
    if nbins < 0 or edge_count < 0:
        raise NotDecodable(f"an axis has {nbins} bins and {edge_count} edges")
    edges_at = cursor.take(8 * edge_count)
    cursor.close_block()
    return AxisLayout(nbins, limits_at - cursor.start, edges_at - cursor.start, edge_count)


def _walk_th1(cursor: _Cursor) -> tuple[int, tuple[AxisLayout, ...]]:
    """The TH1 block: returns the offset of fEntries and the three axes."""
    cursor.open_block("TH1", _MIN_VERSION["TH1"])
    for part in ("TNamed", "TAttLine", "TAttFill", "TAttMarker"):
        cursor.skip_block(part)
    cursor.take(4)  # fNcells: the bin array states its own length, which is what we check
    axes = tuple(_walk_axis(cursor) for _ in range(3))
    cursor.take(4)  # fBarOffset, fBarWidth
    entries_at = cursor.take(8)
    cursor.close_block()  # the rest of TH1 (sums, contour, options, functions, buffer) is not needed
    return entries_at - cursor.start, axes


def walk_entry(data: np.ndarray, start: int, stop: int, me_type: METype) -> EntryLayout:
    """The layout of the entry ``data[start:stop]``, or ``NotDecodable``.

    Validates the class header, that the object's byte count plus the header is the entry length, and that
    the bin array's ``fN`` matches the axes and ends the object exactly.
    """
    cursor = _Cursor(data, start, stop)
    cursor.class_header(me_type.class_bytes)
    if cursor.open_block(me_type.class_name) != stop:
        raise NotDecodable("the object's byte count plus the class header is not the entry length")
    if me_type.dimensionality == 2:
        cursor.open_block("TH2", _MIN_VERSION["TH2"])
        entries_at, axes = _walk_th1(cursor)
        cursor.close_block()  # TH2's own sums
    else:
        entries_at, axes = _walk_th1(cursor)
    axes = axes[:me_type.dimensionality]
    cells = cursor.int32()
    expected = cell_count(axes[0].nbins, axes[1].nbins if me_type.dimensionality == 2 else None)
    if cells != expected:
        raise NotDecodable(f"the bin array has fN {cells}, but the axes need {expected} cells")
    cells_at = cursor.take(cells * me_type.stored.itemsize)
    if cursor.pos != stop:
        raise NotDecodable("the bin array does not end the object")
    structure = np.array(cursor.structure, dtype=np.intp)
    return EntryLayout(stop - start, structure, data[start + structure], entries_at, axes, cells_at - start, cells)
