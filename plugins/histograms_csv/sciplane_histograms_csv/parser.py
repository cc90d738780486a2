"""The parser object registered for ``("csv", 1, "lum")`` and ``("csv", 2, "lum")`` (spec sections 3.3 and 4).

Entries are the non-blank lines after the header, numbered from 1.  Both ``count`` and the skip of
``parse(start=k)`` only look for newlines, so neither splits fields nor decodes a payload, and a file
is never held in memory: at most one block and the current line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO

from sciplane import EntryError, HistogramRecord, ParseError, ParserKey

from .lines import LineReader
from .rows import Columns, RowReader

MIB = 1 << 20


class LegacyCsvParser:
    """Reads the legacy per-lumisection DQM CSV; holds no state beyond its construction options.

    ``max_line_bytes`` bounds one line (a longer one is reported as ``line_too_long`` and skipped);
    ``block_size`` is how much is read from the stream at a time.
    """

    def __init__(self, *, max_line_bytes: int = 256 * MIB, block_size: int = MIB):
        if max_line_bytes < 1 or block_size < 1:
            raise ValueError("max_line_bytes and block_size must be positive")
        self.max_line_bytes = max_line_bytes
        self.block_size = block_size

    def count(self, stream: IO[bytes], *, key: ParserKey) -> int:
        """The number of data rows: non-blank lines after the header, found without splitting fields."""
        _dimensionality(key)
        lines = self._lines(stream)
        return max(lines.skip() - 1, 0)

    def parse(self, stream: IO[bytes], *, key: ParserKey, start: int = 0) -> Iterator[HistogramRecord | EntryError]:
        """Records and row errors for the rows after the first ``start``; skipped rows yield nothing."""
        dimensionality = _dimensionality(key)
        lines = self._lines(stream)
        header = lines.next_line()  # the first non-blank line
        columns = Columns.from_header(header, dimensionality, line=1 if header is None else lines.number)
        rows = RowReader(columns, dimensionality)
        entry = lines.skip(start)
        for line in lines:
            entry += 1
            item = rows.read(line, entry, lines.number)
            if item is not None:
                yield item

    def _lines(self, stream: IO[bytes]) -> LineReader:
        lines = LineReader(stream, block_size=self.block_size, max_line_bytes=self.max_line_bytes)
        if lines.empty:
            raise ParseError("empty_file", "the file is empty (0 bytes)")
        return lines


def _dimensionality(key: ParserKey) -> int:
    _, dimensionality, granularity = key
    if dimensionality not in (1, 2) or granularity != "lum":
        raise ValueError(f"the legacy CSV holds per-lumisection 1D and 2D histograms only, not {ParserKey(*key)}")
    return dimensionality
