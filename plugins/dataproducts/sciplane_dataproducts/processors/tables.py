"""Delimited text tables, as both built-in processors read them: binary input refused from its first block,
UTF-8 decoded as it streams, the delimiter decided by the header line, ``#`` lines as comments."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
from collections.abc import Iterator
from itertools import filterfalse
from operator import methodcaller
from typing import BinaryIO

from sciplane_dataproducts.api import ProcessingError

MJD_EPOCH = dt.datetime(1858, 11, 17, tzinfo=dt.UTC)
"""Modified Julian Date 0, in UTC: a datum's timestamp is this plus its ``time`` in days."""

UNSUPPORTED_FILE = "Unsupported file type"
EMPTY_TABLE = "Empty table or invalid file type"

FITS_SIGNATURE = b"SIMPLE  ="
_SNIFF_BYTES = 64 * 1024
_READ_BUFFER_BYTES = 1024 * 1024

_is_comment_line = methodcaller("startswith", "#")


def open_text(stream: BinaryIO) -> io.TextIOWrapper:
    """``stream`` as UTF-8 text (a BOM is dropped), after refusing binary content seen in its first block.

    Closing the text leaves ``stream`` open.  Invalid UTF-8 further on raises UnicodeDecodeError while reading."""
    head = stream.read(_SNIFF_BYTES)
    if _looks_binary(head):
        raise ProcessingError(UNSUPPORTED_FILE)
    buffered = io.BufferedReader(_ReplayedStream(head, stream), _READ_BUFFER_BYTES)
    # newline="" as the csv module wants: quoted cells may hold line breaks.
    return io.TextIOWrapper(buffered, encoding="utf-8-sig", newline="")


def _looks_binary(head: bytes) -> bool:
    if head.startswith(FITS_SIGNATURE) or b"\0" in head:
        return True
    try:
        # final=False: the block may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return True
    return False


class _ReplayedStream(io.RawIOBase):
    """``stream`` with ``head`` (already read from it) put back in front.  Closing it leaves ``stream`` open."""

    def __init__(self, head: bytes, stream: BinaryIO):
        super().__init__()
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._head:
            size = min(len(buffer), len(self._head))
            buffer[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def split_header(line: str) -> tuple[list[str], str | None]:
    """A header line's column names and the table's delimiter: a comma (with double-quote quoting) if the line
    has one, else a tab if it has one, else None for runs of whitespace."""
    if "," in line:
        return [name.strip() for name in next(csv.reader([line]))], ","
    if "\t" in line:
        return [name.strip() for name in line.split("\t")], "\t"
    return line.split(), None


def table_rows(lines: Iterator[str], delimiter: str | None) -> Iterator[list[str]]:
    """The cells of the lines after the header.  Lines whose first character is ``#`` are comments and dropped;
    blank lines give empty lists."""
    data_lines = filterfalse(_is_comment_line, lines)
    if delimiter == ",":
        return csv.reader(data_lines)
    if delimiter == "\t":
        return csv.reader(data_lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    return map(str.split, data_lines)


def cell_text(row: list[str], index: int) -> str:
    return row[index].strip() if index < len(row) else ""
