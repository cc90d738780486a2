"""The built-in ``photometry`` processor (spec §9.3): a light-curve table streamed into one datum per row.

Accepted tables are comma-separated (double-quote quoting), tab-separated or whitespace-separated text, such
as TOM's ``time,filter,magnitude,error`` and ATLAS forced photometry (``###MJD m dm uJy duJy F …``).  The file
is read incrementally, so memory stays bounded whatever the row count.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from itertools import compress
from math import isfinite
from typing import BinaryIO, NamedTuple

from sciplane_dataproducts.api import Datum, ProcessingError

from .tables import EMPTY_TABLE, MJD_EPOCH, UNSUPPORTED_FILE, cell_text, open_text, split_header, table_rows

NO_TIME_COLUMN = "Photometry file has no 'time' column (MJD)."

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "time": ("time", "mjd"),
    "magnitude": ("magnitude", "mag", "m"),
    "error": ("error", "mag_err", "magerr", "magnitude_error", "dm"),
    "filter": ("filter", "band", "bandpass", "f"),
}
"""TOM key → accepted header names (lower case).  The TOM key comes first because it wins over its aliases."""

SOURCE_COLUMN = "source"

_TIME_NAMES = frozenset(COLUMN_ALIASES["time"])

# Characters a number can start with.  Other cells are text without trying float(), whose ValueError would
# cost more than the rest of the row (a filter column fails it on every row).
_NUMBER_START = frozenset("0123456789+-.")
_NON_FINITE_WORDS = frozenset({"nan", "inf", "infinity"})
# orjson (canonical hashing, §10) refuses integers beyond 64 bits: such cells are kept as text.
_INT64_LIMIT = 2**63


class _Layout(NamedTuple):
    """How a header's columns map onto a datum."""

    keys: tuple[str, ...]  # the ``value`` keys of the kept columns, in column order
    kept: tuple[bool, ...] | None  # per column, whether it goes into ``value``; None when all do
    time_index: int | None
    source_index: int | None


def read_photometry(stream: BinaryIO) -> Iterator[Datum]:
    """Yield one datum per data row of a photometry table read from ``stream`` (which is left open).

    A generator: errors surface while it is consumed, and ``Row N`` in their messages counts data rows from 1
    (the header, comment lines and blank rows are not counted).  Raises :class:`ProcessingError` with the
    texts of spec §9.3 (``Unsupported file type`` for binary or FITS input, ``Empty table or invalid file
    type``, ``Photometry file has no 'time' column (MJD).``, ``Row N: time value 'x' is not a number.``), and
    ``Row N: time value 'x' is out of range.`` for a time outside the years 1–9999.
    """
    with open_text(stream) as text:
        try:
            header = _find_header(text)
            if header is None:
                raise ProcessingError(EMPTY_TABLE)
            names, delimiter = header
            yield from _datums(table_rows(text, delimiter), _layout(names))
        except UnicodeDecodeError:
            raise ProcessingError(UNSUPPORTED_FILE) from None


def _find_header(lines: Iterator[str]) -> tuple[list[str], str | None] | None:
    """The header's column names and delimiter (None: runs of whitespace), or None if there is no header.

    Consumes ``lines`` up to and including the header line.
    """
    for line in lines:
        content = line.rstrip("\r\n")
        if not content.strip():
            continue
        if content.startswith("#"):
            # A commented header (ATLAS writes "###MJD m dm …") counts only if it names a time column.
            names, delimiter = split_header(content.lstrip("#"))
            if _TIME_NAMES.intersection(name.lower() for name in names):
                return names, delimiter
            continue
        return split_header(content)
    return None


def _layout(names: list[str]) -> _Layout:
    """Rename recognised columns to TOM's keys; the source column, unnamed columns and repeated names are left
    out of ``value``."""
    lowered = [name.lower() for name in names]
    renamed: dict[int, str] = {}
    for key, accepted in COLUMN_ALIASES.items():
        index = next((lowered.index(name) for name in accepted if name in lowered), None)
        if index is not None:
            renamed[index] = key
    source_index = lowered.index(SOURCE_COLUMN) if SOURCE_COLUMN in lowered else None
    keys: list[str] = []
    kept: list[bool] = []
    for index, name in enumerate(names):
        key = renamed.get(index, name)
        kept.append(index != source_index and bool(key) and key not in keys)
        if kept[-1]:
            keys.append(key)
    time_index = next((index for index, key in renamed.items() if key == "time"), None)
    return _Layout(tuple(keys), None if all(kept) else tuple(kept), time_index, source_index)


def _datums(rows: Iterator[list[str]], layout: _Layout) -> Iterator[Datum]:
    if layout.time_index is None:
        raise ProcessingError(NO_TIME_COLUMN if any(map(_has_content, rows)) else EMPTY_TABLE)
    # Locals, because this loop runs once per row of files with millions of rows.
    keys, kept, time_index, source_index = layout
    epoch, days, cell_value = MJD_EPOCH, dt.timedelta, _cell_value
    number = 0
    try:
        for row in rows:
            if not row:
                continue
            number += 1
            value = {}
            # A short row simply yields fewer cells: its missing cells count as empty.
            for key, cell in zip(keys, row if kept is None else compress(row, kept), strict=False):
                converted = cell_value(cell)
                if converted is not None:
                    value[key] = converted
            time = value.get("time")
            if time is None or type(time) is str:
                if not _has_content(row):
                    number -= 1
                    continue
                raise ProcessingError(f"Row {number}: time value '{cell_text(row, time_index)}' is not a number.")
            try:
                # timedelta rounds the fraction of a day to the microsecond exactly (half to even).
                timestamp = epoch + days(time)
            except OverflowError:
                shown = cell_text(row, time_index)
                raise ProcessingError(f"Row {number}: time value '{shown}' is out of range.") from None
            yield Datum(timestamp, value, "" if source_index is None else cell_text(row, source_index))
    except csv.Error as error:
        raise ProcessingError(f"Row {number + 1}: {error}.") from None
    if not number:
        raise ProcessingError(EMPTY_TABLE)


def _has_content(row: Iterable[str]) -> bool:
    return any(cell.strip() for cell in row)


def _cell_value(cell: str) -> int | float | str | None:
    """A cell as ``value`` holds it: an int or float if it reads as a number (``int()`` first, so "15" stays
    an integer), else the stripped text; None for an empty, NaN or infinite cell."""
    if cell[:1] not in _NUMBER_START:
        text = cell.strip()
        if not text or text.lower() in _NON_FINITE_WORDS:
            return None
        if text[0] not in _NUMBER_START:
            return text
        cell = text  # a number with leading blanks
    try:
        number = float(cell)
    except ValueError:
        return cell.strip()  # text that starts like a number, such as a date
    if not isfinite(number):
        return None
    if "_" in cell:
        return cell.strip()  # float() accepts Python's digit separators; tables don't use them
    if number.is_integer() and "." not in cell and "e" not in cell and "E" not in cell:
        whole = int(cell)  # exact beyond float precision
        return whole if -_INT64_LIMIT <= whole < _INT64_LIMIT else cell.strip()
    return number
