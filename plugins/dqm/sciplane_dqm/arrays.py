"""Histogram arrays as stored: compact little-endian bytes plus a dtype code.

``float32`` is kept whenever it loses nothing (every bin count of a real ME
fits), otherwise ``float64``; the shape lives in the row's bin counts.
"""

from __future__ import annotations

import numpy as np

F4, F8 = "f4", "f8"


def encode(data: np.ndarray) -> tuple[str, bytes]:
    """``(dtype code, bytes)`` for an array of any numeric dtype."""
    if data.dtype == np.float32:
        return F4, data.astype("<f4", copy=False).tobytes()
    wide = data.astype("<f8", copy=False)
    with np.errstate(over="ignore", invalid="ignore"):  # values beyond float32 become inf and fail the check
        narrow = wide.astype("<f4")
    if np.array_equal(narrow.astype("<f8"), wide, equal_nan=True):
        return F4, narrow.tobytes()
    return F8, wide.tobytes()


def decode(dtype: str, data: bytes, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(data, "<" + dtype).reshape(shape)


def edges_bytes(edges: np.ndarray | None) -> bytes | None:
    return None if edges is None else np.asarray(edges, "<f8").tobytes()


def edges_of(data: bytes | None) -> np.ndarray | None:
    return None if data is None else np.frombuffer(data, "<f8")


def shape_of(x_bin: int, y_bin: int | None) -> tuple[int, ...]:
    return (x_bin,) if y_bin is None else (y_bin, x_bin)
