"""The DQMIO / nanoDQMIO parser registered under ``("nanodqm", 1|2, "lum"|"run")`` (spec §3.3, §5)."""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Iterator
from typing import IO

import uproot

from sciplane import EntryError, HistogramRecord, ParserKey

from .indices import EntrySequence, read_index_columns, select_sequence
from .real import READERS
from .records import build_item
from .rootfile import open_root
from .trees import open_trees


class DqmioParser:
    """Reads the MEs of one (dimensionality, granularity) key from a DQMIO file, in ``Indices`` order.

    ``reader`` picks how ``Value`` objects are decoded: ``"auto"`` (vectorised basket reader, uproot for what it
    cannot validate), ``"fast"`` (no fallback: undecodable entries become ``unreadable_object``) or
    ``"uproot"`` (uproot's object path only, the reference and benchmark baseline).

    The store asks for ``count`` and then ``parse`` on the same open file.  The entry sequence ``count`` read
    from ``Indices`` (a good part of a small job) is handed to that ``parse`` instead of being read again:
    kept per stream object, for one use, and only while the file's size and modification time are unchanged.
    Nothing else is kept between calls.
    """

    def __init__(self, reader: str = "auto"):
        if reader not in READERS:
            raise ValueError(f"reader must be one of {', '.join(READERS)}, not {reader!r}")
        self.reader = reader
        self._counted: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()  # one parser serves every job of a worker process

    def __repr__(self) -> str:
        return f"DqmioParser(reader={self.reader!r})"

    def count(self, stream: IO[bytes], *, key: ParserKey) -> int:
        """The number of sequence entries, from ``Indices`` alone."""
        dimensionality, granularity = _served(key)
        with open_root(stream) as directory:
            sequence = _sequence(directory, dimensionality, granularity)
        state = _file_state(stream)
        if state is not None:
            with self._lock:
                self._counted[stream] = (state, dimensionality, granularity, sequence)
        return sequence.total

    def parse(self, stream: IO[bytes], *, key: ParserKey, start: int = 0) -> Iterator[HistogramRecord | EntryError]:
        dimensionality, granularity = _served(key)
        with self._lock:
            counted = self._counted.pop(stream, None)
        with open_root(stream) as directory:
            if counted is not None and counted[:3] == (_file_state(stream), dimensionality, granularity):
                sequence = counted[3]
            else:
                sequence = _sequence(directory, dimensionality, granularity)
            trees = open_trees(directory, sequence, self.reader, stream)
            for entry, row, index in sequence.after(start):
                tree = trees[row.me_type.code]
                title, outcome = tree.get(index)
                yield build_item(entry, row, f"{tree.name}[{index}]", title, outcome)


def _served(key: ParserKey) -> tuple[int, str]:
    _, dimensionality, granularity = key
    if dimensionality not in (1, 2) or granularity not in ("lum", "run"):
        raise ValueError(f"the nanodqm parser does not serve the key {tuple(key)}")
    return dimensionality, granularity


def _file_state(stream: IO[bytes]) -> tuple[int, int] | None:
    """Size and modification time of a stream's file; None for a stream that is not a file."""
    try:
        stat = os.fstat(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None
    return stat.st_size, stat.st_mtime_ns


def _sequence(directory: uproot.ReadOnlyDirectory, dimensionality: int, granularity: str) -> EntrySequence:
    return select_sequence(read_index_columns(directory), dimensionality, granularity)
