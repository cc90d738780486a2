"""The ``Indices`` tree and the entry sequence of one parser key (spec §5.4).

Entry numbers are positions in the sequence of tree entries named by the selected ``Indices`` rows, so both
``count`` and skipping to ``start`` are arithmetic on the row ranges: nothing here touches a histogram payload.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import uproot

from sciplane import ParseError

from .metypes import ME_TYPES, METype, type_codes
from .rootfile import reason

INDEX_TREE = "Indices"
INDEX_COLUMNS = ("Run", "Lumi", "Type", "FirstIndex", "LastIndex")


@dataclass(frozen=True)
class IndexRow:
    """One selected ``Indices`` row: the inclusive range ``first..last`` of ``me_type``'s tree."""

    run: int
    lumi: int
    me_type: METype
    first: int
    last: int
    offset: int  # how many sequence entries come before this row

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def first_entry(self) -> int:
        return self.offset + 1


@dataclass(frozen=True)
class EntrySequence:
    rows: tuple[IndexRow, ...]

    @property
    def total(self) -> int:
        return self.rows[-1].offset + self.rows[-1].size if self.rows else 0

    def after(self, start: int) -> Iterator[tuple[int, IndexRow, int]]:
        """``(entry number, row, tree entry)`` for every entry numbered above ``start``, in order."""
        offsets = [row.offset for row in self.rows]
        for row in self.rows[max(bisect_right(offsets, start) - 1, 0):]:
            skipped = max(start - row.offset, 0)
            for index in range(row.first + skipped, row.last + 1):
                yield row.offset + index - row.first + 1, row, index


def read_index_columns(directory: uproot.ReadOnlyDirectory) -> dict[str, np.ndarray]:
    """The columns of ``Indices`` that define the sequence (the table is small: one row per run, lumi and type)."""
    if INDEX_TREE not in directory:
        raise ParseError("not_dqmio", "the file has no Indices tree, so it is not a DQMIO file")
    try:
        tree = directory[INDEX_TREE]
    except Exception as exc:
        raise ParseError("not_root", f"the Indices object cannot be read: {reason(exc)}") from None
    if not isinstance(tree, uproot.TTree):
        raise ParseError("not_dqmio", f"Indices is a {tree.classname}, not a TTree")
    missing = [name for name in INDEX_COLUMNS if name not in tree]
    if missing:
        raise ParseError("not_dqmio", f"the Indices tree lacks the branches {', '.join(missing)}")
    try:
        return tree.arrays(list(INDEX_COLUMNS), library="np")
    except Exception as exc:
        raise ParseError("not_root", f"the Indices tree cannot be read: {reason(exc)}") from None


def select_sequence(columns: dict[str, np.ndarray], dimensionality: int, granularity: str) -> EntrySequence:
    """The rows of the key's types and lumis, in file order; a column that is not of integers, a negative index
    or a reversed range is ``bad_index``."""
    for name in INDEX_COLUMNS:
        if not np.issubdtype(columns[name].dtype, np.integer):
            raise ParseError("bad_index", f"the Indices column {name} holds {columns[name].dtype} values, not integers")
    lumis = columns["Lumi"]
    chosen = np.isin(columns["Type"], type_codes(dimensionality)) & (lumis > 0 if granularity == "lum" else lumis == 0)
    picked = zip(*(columns[name][chosen].tolist() for name in INDEX_COLUMNS), strict=True)
    rows: list[IndexRow] = []
    offset = 0
    for run, lumi, code, first, last in picked:
        row = IndexRow(run, lumi, ME_TYPES[code], first, last, offset)
        if not 0 <= first <= last:
            raise ParseError("bad_index", f"Indices row for run {run}, lumi {lumi}, type {code} has "
                             f"FirstIndex {first} and LastIndex {last}: not a range of entries",
                             entry=row.first_entry)
        rows.append(row)
        offset += row.size
    return EntrySequence(tuple(rows))
