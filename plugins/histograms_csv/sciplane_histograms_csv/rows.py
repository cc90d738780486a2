"""From the header and one data line to a record (spec sections 4.3, 4.4 and 4.6).

Numeric fields are converted straight from bytes (``int`` and ``float`` accept them), so only the
title is ever decoded; the line as a whole is checked for valid UTF-8 first, with an ASCII shortcut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import itemgetter

from sciplane import EntryError, HistogramRecord, ParseError

from .errors import RowError
from .fields import split_fields
from .histo import bin_contents_of
from .lines import OverlongLine

INDEX_COLUMN_NAMES = frozenset({"", "Unnamed: 0", "index"})
REQUIRED_COLUMNS = ("fromrun", "fromlumi", "hname", "histo", "entries", "Xmin", "Xmax", "Xbins")
REQUIRED_2D_COLUMNS = ("Ymin", "Ymax", "Ybins")

# DQMIO type codes (TH1F/S/D, TProfile; TH2F/S/D, TProfile2D) by dimensionality; other codes are
# not histograms this parser serves, and their rows are skipped.
DIMENSIONALITY_OF_TYPE = {3: 1, 4: 1, 5: 1, 10: 1, 6: 2, 7: 2, 8: 2, 11: 2}

MAX_TITLE_LENGTH = 1024


@dataclass(frozen=True)
class Columns:
    """Where each needed column sits in a row, and how many fields a row must have."""

    width: int
    run: int
    lumi: int
    title: int
    histo: int
    entries: int
    x_min: int
    x_max: int
    x_bins: int
    metype: int | None
    y_min: int | None
    y_max: int | None
    y_bins: int | None

    @classmethod
    def from_header(cls, header: bytes | OverlongLine | None, dimensionality: int, line: int = 1) -> Columns:
        """Map the header's column names; ``bad_header`` if a column the key needs is missing."""
        names = _header_names(header, line)
        position: dict[str, int] = {}
        for index, name in enumerate(names):
            if name not in INDEX_COLUMN_NAMES:
                position.setdefault(name, index)  # variant A repeats columns: the first one counts
        required = REQUIRED_COLUMNS + (REQUIRED_2D_COLUMNS if dimensionality == 2 else ())
        missing = [name for name in required if name not in position]
        if missing:
            raise ParseError("bad_header", f"the header lacks the required column(s) {', '.join(missing)}",
                             entry=0, line=line)
        return cls(width=len(names), run=position["fromrun"], lumi=position["fromlumi"], title=position["hname"],
                   histo=position["histo"], entries=position["entries"], x_min=position["Xmin"],
                   x_max=position["Xmax"], x_bins=position["Xbins"], metype=position.get("metype"),
                   y_min=position.get("Ymin"), y_max=position.get("Ymax"), y_bins=position.get("Ybins"))


def _header_names(header: bytes | OverlongLine | None, line: int) -> list[str]:
    if header is None:
        return []
    if isinstance(header, OverlongLine):
        raise ParseError("bad_header", f"the header line is {header.size} bytes long, over the line limit",
                         entry=0, line=line)
    if b"\r" in header:  # a file whose lines end in CR alone reads as one line: its rows would vanish unparsed
        raise ParseError("bad_header", "the header holds a carriage return: lines must end in \\n or \\r\\n, "
                         "not \\r alone", entry=0, line=line)
    try:
        return [field.decode("utf-8").strip() for field in split_fields(header)]
    except UnicodeDecodeError as exc:
        raise ParseError("bad_header", f"the header is not valid UTF-8 ({exc.reason})", entry=0, line=line) from None


class RowReader:
    """Turns the data lines of one file into records of one dimensionality."""

    def __init__(self, columns: Columns, dimensionality: int):
        self.columns = columns
        self.dimensionality = dimensionality
        # One C call fetches every scalar a record needs, in the order _record() unpacks them.
        self._scalars = itemgetter(columns.run, columns.lumi, columns.title, columns.entries,
                                   columns.x_bins, columns.x_min, columns.x_max)

    def read(self, line: bytes | OverlongLine, entry: int, number: int) -> HistogramRecord | EntryError | None:
        """The record for one data line, an error for a bad one, or None for a row this key skips."""
        if isinstance(line, OverlongLine):
            # Only the complete fields of the kept head can be read: the last one may be cut short.
            return self._error(entry, number, split_fields(line.head)[:-1],
                               RowError("line_too_long", f"the line is {line.size} bytes long, over the limit"))
        fields = split_fields(line)
        try:
            if not line.isascii():
                _check_utf8(line)
            return self._record(fields, entry, number)
        except RowError as error:
            return self._error(entry, number, fields, error)

    def _error(self, entry: int, number: int, fields: list[bytes], error: RowError) -> EntryError:
        columns = self.columns
        return EntryError(entry=entry, code=error.code, message=error.message, line=number,
                          run=_readable(_run, fields, columns.run), lumi=_readable(_lumi, fields, columns.lumi),
                          title=_readable(_title, fields, columns.title))

    def _record(self, fields: list[bytes], entry: int, number: int) -> HistogramRecord | None:
        columns = self.columns
        if len(fields) != columns.width:
            code = "missing_column" if len(fields) < columns.width else "extra_column"
            raise RowError(code, f"the row has {len(fields)} fields; the header has {columns.width}")
        type_code = None if columns.metype is None else _integer(fields[columns.metype], "metype", "bad_value")
        if self._dimensionality_of(fields, type_code) != self.dimensionality:
            return None
        run, lumi, title, entries, x_bins, x_min, x_max = self._scalars(fields)
        lumi = _lumi(lumi)
        if lumi == 0:  # a run-level row, which the per-lumisection keys do not serve
            return None
        run, title, entries = _run(run), _title(title), _entries(entries)
        x_bins, x_min, x_max = _axis(x_bins, x_min, x_max, "X")
        if self.dimensionality == 1:
            return HistogramRecord(entry=entry, line=number, run=run, lumi=lumi, title=title, type_code=type_code,
                                   entries=entries, x_bin=x_bins, x_min=x_min, x_max=x_max,
                                   data=bin_contents_of(fields[columns.histo], x_bins))
        # Every scalar is checked before the payload, the one costly field, is decoded.
        y_bins, y_min, y_max = _axis(fields[columns.y_bins], fields[columns.y_min], fields[columns.y_max], "Y")
        return HistogramRecord(entry=entry, line=number, run=run, lumi=lumi, title=title, type_code=type_code,
                               entries=entries, x_bin=x_bins, x_min=x_min, x_max=x_max, y_bin=y_bins, y_min=y_min,
                               y_max=y_max, data=bin_contents_of(fields[columns.histo], x_bins, y_bins))

    def _dimensionality_of(self, fields: list[bytes], type_code: int | None) -> int | None:
        """1 or 2, from ``metype`` when the file has it, else from ``Ybins``; None for other types."""
        if type_code is not None:
            return DIMENSIONALITY_OF_TYPE.get(type_code)
        if self.columns.y_bins is None:
            return 1
        return 2 if _integer(fields[self.columns.y_bins], "Ybins", "bad_axis", minimum=1) > 1 else 1


def _readable(read, fields: list[bytes], index: int):
    """What ``read`` makes of a field of a faulty row, or None when that field is unreadable too."""
    try:
        return read(fields[index])
    except (RowError, IndexError):
        return None


def _run(raw: bytes) -> int:
    return _integer(raw, "fromrun", "bad_value", minimum=1)


def _lumi(raw: bytes) -> int:
    return _integer(raw, "fromlumi", "bad_value")


def _title(raw: bytes) -> str:
    try:
        title = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RowError("bad_encoding", "hname is not valid UTF-8") from None
    if not 1 <= len(title) <= MAX_TITLE_LENGTH or "\x00" in title:
        raise RowError("bad_value", f"hname must be 1 to {MAX_TITLE_LENGTH} characters without NUL")
    return title


def _check_utf8(line: bytes) -> None:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RowError("bad_encoding", f"the line is not valid UTF-8 at byte {exc.start}: {exc.reason}") from None


def _shown(raw: bytes) -> str:
    text = raw.decode("utf-8", errors="replace")
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _integer(raw: bytes, name: str, code: str, minimum: int = 0) -> int:
    """An integer field, written ``315488`` or, by pandas after a float column, ``315488.0``."""
    try:
        value = int(raw)
    except ValueError:
        value = _integral_float(raw)
    if value is None or value < minimum:
        raise RowError(code, f"{name} must be an integer >= {minimum}, not {_shown(raw)}")
    return value


def _integral_float(raw: bytes) -> int | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return int(value) if value.is_integer() else None


def _entries(raw: bytes) -> int:
    """``entries`` truncated to an integer: ROOT keeps it as a double, and pandas may write ``78001.0``."""
    try:
        value = int(raw)
    except ValueError:
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
    if not value >= 0 or value == math.inf:  # written so that NaN fails too
        raise RowError("bad_value", f"entries must be a finite number >= 0, not {_shown(raw)}")
    return int(value)


def _axis(bins: bytes, low: bytes, high: bytes, name: str) -> tuple[int, float, float]:
    """An axis as (bin count, low edge, high edge), each from its raw field."""
    count = _integer(bins, f"{name}bins", "bad_axis", minimum=1)
    try:
        lower, upper = float(low), float(high)
    except ValueError:
        lower = upper = math.nan
    if not (math.isfinite(lower) and math.isfinite(upper) and lower < upper):
        raise RowError("bad_axis", f"{name}min and {name}max must be finite with {name}min < {name}max, "
                                   f"not {_shown(low)} and {_shown(high)}")
    return count, lower, upper
