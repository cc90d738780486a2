"""Histogram arrays as stored: compact little-endian bytes plus a dtype code.

``float32`` is kept whenever it loses nothing (every bin count of a real ME
fits), otherwise ``float64``; the shape lives in the row's bin counts.

Encoded arrays are byte views (``memoryview`` of format ``B``) rather than
``bytes``: a 2D histogram is hundreds of kB, and the drivers take any buffer,
so the bytes are copied once, where a statement gathers them, instead of
once more here.
"""

from __future__ import annotations

import numpy as np

F4, F8 = "f4", "f8"


def as_bytes(data: np.ndarray, dtype: str) -> memoryview:
    """The little-endian bytes of ``data`` in ``dtype``, without a copy when it is stored that way already."""
    return memoryview(np.ascontiguousarray(data, dtype=dtype)).cast("B")


def encode(data: np.ndarray) -> tuple[str, memoryview]:
    """``(dtype code, bytes)`` for an array of any numeric dtype."""
    if data.dtype == np.float32:
        return F4, as_bytes(data, "<f4")
    wide = np.ascontiguousarray(data, dtype="<f8")
    with np.errstate(over="ignore", invalid="ignore"):  # values beyond float32 become inf and fail the check
        narrow = wide.astype("<f4")
    if np.array_equal(narrow.astype("<f8"), wide, equal_nan=True):
        return F4, as_bytes(narrow, "<f4")
    return F8, as_bytes(wide, "<f8")


def encode_many(datas: list[np.ndarray], batch_elements: int = 1 << 16) -> list[tuple[str, memoryview]]:
    """:func:`encode` for a chunk's arrays: runs of small arrays of one shape are checked together.

    Per array, the float32 round trip costs a handful of numpy calls whose overhead dominates for 1D
    histograms; stacked, one call covers thousands.  Large arrays (2D) are done one by one, without
    stacking copies.
    """
    out: list[tuple[str, memoryview]] = []
    start = 0
    while start < len(datas):
        first = datas[start]
        if first.size * 64 > batch_elements or first.dtype == np.float32:
            out.append(encode(first))
            start += 1
            continue
        stop = start + 1
        while (stop < len(datas) and datas[stop].shape == first.shape and datas[stop].dtype == first.dtype
               and (stop - start + 1) * first.size <= batch_elements):
            stop += 1
        out += _encode_stack(np.stack(datas[start:stop]).astype("<f8", copy=False))
        start = stop
    return out


def _encode_stack(wide: np.ndarray) -> list[tuple[str, memoryview]]:
    rows = wide.reshape(len(wide), -1)
    with np.errstate(over="ignore", invalid="ignore"):
        narrow = rows.astype("<f4")
    exact = (narrow == rows).all(axis=1)
    for index in np.flatnonzero(~exact):  # NaN never equals itself: look again, NaN-aware, at those rows only
        exact[index] = np.array_equal(narrow[index].astype("<f8"), rows[index], equal_nan=True)
    return [(F4, as_bytes(narrow[i], "<f4")) if exact[i] else (F8, as_bytes(rows[i], "<f8"))
            for i in range(len(rows))]


def decode(dtype: str, data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(data, "<" + dtype).reshape(shape)


def edges_bytes(edges: np.ndarray | None) -> bytes | None:
    return None if edges is None else np.asarray(edges, "<f8").tobytes()


def edges_of(data: bytes | None) -> np.ndarray | None:
    return None if data is None else np.frombuffer(data, "<f8")


def shape_of(x_bin: int, y_bin: int | None) -> tuple[int, ...]:
    return (x_bin,) if y_bin is None else (y_bin, x_bin)
