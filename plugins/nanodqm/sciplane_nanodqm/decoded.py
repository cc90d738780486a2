"""What every reader (fast, uproot, lite) hands to the record builder: one decoded ME or the reason it failed.

Sharing one intermediate form is what makes the readers interchangeable: the record checks and the
mapping to ``HistogramRecord`` exist once, so the fast path cannot drift from the uproot path.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Axis:
    nbins: int
    low: float
    high: float
    edges: np.ndarray | None  # float64 bin edges, only for variable-width axes


@dataclass(frozen=True, slots=True)
class DecodedME:
    entries: float  # ROOT's fEntries, not yet truncated
    x: Axis
    y: Axis | None
    data: np.ndarray  # without flows, shape (nx,) or (ny, nx), C-contiguous


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one tree entry gave no ME; ``code`` is the EntryError code."""

    code: str
    reason: str


def cell_count(nx: int, ny: int | None) -> int:
    """Length of a ROOT bin array including the under- and overflow cells."""
    return (nx + 2) * (ny + 2 if ny is not None else 1)


def strip_flows(flat: np.ndarray, nx: int, ny: int | None, dtype: np.dtype) -> np.ndarray:
    """Drop the flow cells of one or many ROOT bin arrays (global-bin order along the last axis).

    ROOT's global bin is ``ix + (nx+2)·iy``, so reshaping to ``(ny+2, nx+2)`` already gives the record's
    ``[iy][ix]`` order; the copy into ``dtype`` (native byte order) also makes the result C-contiguous.
    """
    if ny is None:
        inner = flat[..., 1:nx + 1]
    else:
        inner = flat.reshape(flat.shape[:-1] + (ny + 2, nx + 2))[..., 1:ny + 1, 1:nx + 1]
    return np.ascontiguousarray(inner, dtype=dtype)
