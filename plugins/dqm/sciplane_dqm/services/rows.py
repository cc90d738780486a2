"""A chunk's histogram rows, built column by column.

Small histograms of one binning (the 5,000 1D rows of a CSV chunk) are the
common case and the one where per-row Python dominates: their arrays are
stacked once, the float32 check runs once, and PostgreSQL receives them
through one numpy structured array in the binary COPY layout.  Other chunks
(2D, variable-width axes, mixed layouts) fall back to one tuple per row.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sciplane import HistogramRecord

from .. import arrays

# Column name -> binary COPY encoding (struct format, or "bytes" / "text" / "time"), in insertion order.
COLUMNS: dict[str, str] = {
    "lumisection_id": ">q", "run_number": ">i", "ls_number": ">i", "title_id": ">i", "dim": ">h",
    "type_code": ">h", "entries": ">q", "x_min": ">d", "x_max": ">d", "x_bin": ">i", "y_min": ">d", "y_max": ">d",
    "y_bin": ">i", "x_edges": "bytes", "y_edges": "bytes", "dtype": "text", "data": "bytes",
    "source_file_id": ">i", "created": "time",
}
IDS = ("lumisection_id", "title_id")  # dictionary ids: resolved in the chunk's transaction, never NULL
STACK_MAX_ELEMENTS = 4096  # arrays up to this size are stacked per chunk; larger ones would only be copied
_PG_EPOCH = dt.datetime(2000, 1, 1)
_SCALARS = operator.attrgetter("run", "lumi", "type_code", "entries", "x_bin", "x_min", "x_max", "x_edges", "y_min",
                               "y_max", "y_bin", "y_edges")


def pg_time(value: dt.datetime) -> int:
    """Microseconds since 2000-01-01, PostgreSQL's binary timestamp."""
    delta = value - _PG_EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class ChunkRows:
    """The rows of a list of records, built without the database; the dictionary ids come last (:meth:`resolve`).

    That split lets the parsing thread do all of the encoding while the writer thread, which must win the
    GIL back from the parser after every release, only resolves ids and talks to the database.
    """

    columns: dict[str, Any]  # name -> list, or numpy array for numbers; "data" may be an (n, k) matrix
    count: int
    dim: int
    titles: list[str]  # per row: the title ids are resolved from them
    _layouts: dict[bool, np.ndarray | None] = field(default_factory=dict)  # by ``numbered``

    @classmethod
    def of(cls, records: list[HistogramRecord], *, dim: int, source_file: int | None,
           created: dt.datetime) -> ChunkRows:
        n = len(records)
        # One C-level pass for the scalar attributes, transposed into columns by zip.
        scalars = list(zip(*map(_SCALARS, records), strict=True))
        run, lumi, type_code, entries, x_bin, x_min, x_max = scalars[:7]
        columns: dict[str, Any] = {
            "lumisection_id": None, "run_number": run, "ls_number": lumi, "title_id": None,
            "dim": [dim] * n, "type_code": type_code, "entries": entries, "x_min": x_min, "x_max": x_max,
            "x_bin": x_bin, "y_min": [None] * n, "y_max": [None] * n, "y_bin": [None] * n,
            "x_edges": [arrays.edges_bytes(e) for e in scalars[7]], "y_edges": [None] * n,
            "source_file_id": [source_file] * n, "created": [created] * n,
        }
        if dim == 2:
            columns.update(y_min=scalars[8], y_max=scalars[9], y_bin=scalars[10],
                           y_edges=[arrays.edges_bytes(e) for e in scalars[11]])
        stacked = _stacked(records)
        if stacked is not None:
            columns["dtype"], columns["data"] = [stacked[0]] * n, stacked[1]
        else:
            encoded = arrays.encode_many([r.data for r in records])
            columns["dtype"], columns["data"] = [code for code, _ in encoded], [data for _, data in encoded]
        return cls(columns, n, dim, [r.title for r in records])

    def resolve(self, lumisection_ids: list[int], title_ids: list[int]) -> None:
        """Set the dictionary ids, row by row (also in the COPY blocks laid out already)."""
        self.columns["lumisection_id"], self.columns["title_id"] = lumisection_ids, title_ids
        for layout in self._layouts.values():
            if layout is not None:
                layout["lumisection_id"], layout["title_id"] = lumisection_ids, title_ids

    def tuples(self) -> list[tuple]:
        """One tuple per row, values in :data:`COLUMNS` order, as plain Python values for any driver."""
        data = self.columns["data"]
        if isinstance(data, np.ndarray):
            data = [row.tobytes() for row in data]
        values = [data if name == "data" else [_plain(v) for v in self.columns[name]] for name in COLUMNS]
        return list(zip(*values, strict=True))

    def block(self, numbered: bool) -> bytes | None:
        """Every row as binary COPY tuples in one buffer, or None unless the rows share one layout."""
        layout = self.lay_out(numbered)
        return None if layout is None else layout.tobytes()

    def lay_out(self, numbered: bool) -> np.ndarray | None:
        """The rows as a structured array in the binary COPY layout (built once), or None unless they share one
        layout; ids not resolved yet are filled in by :meth:`resolve`."""
        if numbered not in self._layouts:
            self._layouts[numbered] = self._build_layout(numbered)
        return self._layouts[numbered]

    def _build_layout(self, numbered: bool) -> np.ndarray | None:
        data = self.columns["data"]
        if not isinstance(data, np.ndarray):
            return None
        nulls = {}
        for name in COLUMNS:
            if name == "data" or name in IDS:
                continue
            missing = self.columns[name].count(None)  # a C-level scan
            if 0 < missing < self.count:
                return None
            nulls[name] = missing == self.count
        if not nulls["x_edges"] or not nulls["y_edges"]:
            return None  # variable-width axes: edges are bytes of their own, row by row
        fields: list[tuple[str, str]] = [("count", ">i2")] + ([("seq_length", ">i4"), ("seq", ">i4")] * numbered)
        widths = {"dtype": 2, "data": data.shape[1] * data.dtype.itemsize}
        for name, kind in COLUMNS.items():
            fields.append((f"{name}_length", ">i4"))
            if not nulls.get(name, False):
                fields.append((name, f"V{widths[name]}" if name in widths else (">i8" if kind == "time" else kind)))
        block = np.zeros(self.count, dtype=np.dtype(fields))
        block["count"] = len(COLUMNS) + numbered
        if numbered:
            block["seq_length"], block["seq"] = 4, np.arange(self.count)
        for name, kind in COLUMNS.items():
            if nulls.get(name, False):
                block[f"{name}_length"] = -1
            elif name == "data":
                block["data_length"] = widths["data"]
                block["data"] = np.ascontiguousarray(data.astype(data.dtype.newbyteorder("<"), copy=False)).view(
                    f"V{widths['data']}").ravel()
            elif name == "dtype":
                block["dtype_length"] = 2
                block["dtype"] = np.frombuffer("".join(self.columns["dtype"]).encode(), dtype="V2")
            elif kind == "time":  # every row of a chunk has the same time: each distinct one converted once
                block[f"{name}_length"] = 8
                micros = {value: pg_time(value) for value in set(self.columns[name])}
                block[name] = [micros[value] for value in self.columns[name]]
            else:
                block[f"{name}_length"] = np.dtype(kind).itemsize
                if self.columns[name] is not None:  # ids: zero until resolved
                    block[name] = self.columns[name]
        return block


def _plain(value: Any) -> Any:
    # A parser may hand numpy scalars (np.int64 is not an int to sqlite3).
    return value.item() if isinstance(value, np.generic) else value


def _stacked(records: list[HistogramRecord]) -> tuple[str, np.ndarray] | None:
    """(dtype code, (n, k) matrix) when all arrays are small, of one shape, and store as one dtype."""
    first = records[0].data
    if first.size > STACK_MAX_ELEMENTS or any(r.data.shape != first.shape for r in records):
        return None
    # concatenate, not stack: stack indexes every array in Python first, which costs ten times more.
    matrix = np.concatenate([r.data for r in records]).reshape(len(records), -1)
    if matrix.dtype == np.float32:
        return arrays.F4, matrix
    wide = matrix.astype(np.float64, copy=False)
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = wide.astype(np.float32)
    # The plain comparison settles the usual case; only a NaN (never equal to itself) needs the slower one.
    if (narrow == wide).all() or np.array_equal(narrow, wide, equal_nan=True):
        return arrays.F4, narrow
    return None  # some rows need float64: decided row by row
