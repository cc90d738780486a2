"""A selection of histograms as one stacked array: ``.npy`` or ``.npz``, streamed in batches.

The checks, the id list and the arrays are read in the request's snapshot
(the resources open one), so rows committed or deleted meanwhile change
nothing; the arrays follow the id list in batches of 1,000 rows.  A
selection must share one binning, since a stacked array has one shape.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from sciplane import APIError

from ..models import Histogram
from . import histograms

BATCH = 1000
MAX_SHAPES_SHOWN = 20
META_INT = ("id", "run_number", "ls_number", "entries", "x_bin", "y_bin")
META_FLOAT = ("x_min", "x_max", "y_min", "y_max")


@dataclass(frozen=True)
class Selection:
    ids: list[int]
    shape: tuple[int, ...]  # of one histogram
    binning: dict[str, Any] | None  # the shared dim / bins / limits; None when empty

    @property
    def count(self) -> int:
        return len(self.ids)


def select(values: Mapping[str, Any], settings, *, itemsize: int, order: tuple = histograms.KEY) -> Selection:
    """Check homogeneity and limits, then read the ids in order (422 / 413 as the specification says)."""
    shapes = histograms.shapes(values)
    if len(shapes) > 1:
        raise APIError("the selection mixes binnings; narrow it (for example by title or dim)", status=422,
                       code="inhomogeneous_selection", shapes=shapes[:MAX_SHAPES_SHOWN])
    if not shapes:
        return Selection([], (0,), None)
    binning = shapes[0]
    shape = (binning["x_bin"],) if binning["dim"] == 1 else (binning["y_bin"], binning["x_bin"])
    count = binning["count"]
    size = count * int(np.prod(shape)) * itemsize
    if count > settings.export_max_histograms or size > settings.export_max_bytes:
        raise APIError(f"the selection holds {count} histograms ({size} bytes); the limits are "
                       f"{settings.export_max_histograms} histograms and {settings.export_max_bytes} bytes",
                       status=413, code="selection_too_large", count=count, bytes=size)
    return Selection(histograms.ids_in_order(values, order), shape, binning)


def npy_header(shape: tuple[int, ...], dtype: str) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.dtype(dtype).str, "fortran_order": False,
                                                  "shape": shape})
    return buffer.getvalue()


def npy_chunks(selection: Selection, dtype: str) -> Iterator[bytes]:
    """The ``.npy`` file of the stacked data, header first."""
    if not selection.ids:
        yield npy_header((0,), "float64")
        return
    yield npy_header((selection.count, *selection.shape), dtype)
    for block in histograms.arrays_of(selection.ids, selection.shape, dtype, BATCH):
        yield block.astype(np.dtype(dtype).newbyteorder("<"), copy=False).tobytes()


class _Pipe(io.RawIOBase):
    """A write-only sink whose bytes the generator hands out as they come (zipfile writes here)."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.position = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.position += len(data)
        return len(data)

    def tell(self) -> int:
        return self.position

    def drain(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def npz_chunks(selection: Selection, dtype: str) -> Iterator[bytes]:
    """A ZIP of stored ``.npy`` members: ``data`` and per-row metadata (``title`` as a unicode array)."""
    pipe = _Pipe()
    with zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        with archive.open("data.npy", "w", force_zip64=True) as member:
            for chunk in npy_chunks(selection, dtype):
                member.write(chunk)
                yield pipe.drain()
        for name, array in _metadata(selection).items():
            archive.writestr(name + ".npy", _npy(array))
            yield pipe.drain()
    yield pipe.drain()


def _metadata(selection: Selection) -> dict[str, np.ndarray]:
    two_d = bool(selection.binning) and selection.binning["dim"] == 2
    names = [n for n in (*META_INT, *META_FLOAT) if two_d or not n.startswith("y_")]
    rows: dict[int, tuple] = {}
    columns = [getattr(Histogram, n) for n in names]
    titles: dict[int, int] = {}
    for start in range(0, selection.count, BATCH):
        chunk = selection.ids[start:start + BATCH]
        for row in Histogram.select(*columns, Histogram.title).where(Histogram.id.in_(chunk)).tuples():
            rows[row[0]] = row[:-1]
            titles[row[0]] = row[-1]
    ordered = [rows[i] for i in selection.ids]
    out = {name: np.array([r[k] for r in ordered], dtype=np.int64 if name in META_INT else np.float64)
           for k, name in enumerate(names)}
    names_by_id = histograms.title_names(set(titles.values()))
    out["title"] = np.array([names_by_id[titles[i]] for i in selection.ids], dtype=str)
    if not selection.ids:
        out = {name: np.zeros((0,), dtype=array.dtype) for name, array in out.items()}
    return out


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()
