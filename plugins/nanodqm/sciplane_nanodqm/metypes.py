"""The DQMIO monitor-element types this plugin reads, keyed by the ``Type`` column of ``Indices``.

Every other type code (scalars, strings, TH3, profiles, the 1000 empty-lumi marker) is simply absent from the
table: rows of those types are neither counted nor read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class METype:
    """How the MEs of one DQMIO type are stored and what a record of them looks like."""

    code: int
    tree: str  # the TTree holding this type's MEs
    class_name: str  # ROOT class of the objects in the tree's ``Value`` branch
    dimensionality: int
    stored: np.dtype  # big-endian element type of the bin array (TArrayF/S/D) inside the object
    native: np.dtype  # dtype of the record's data: S is widened to float32 so all F/S histograms compare alike

    @property
    def class_bytes(self) -> bytes:
        return self.class_name.encode("ascii")


def _me_type(code: int, class_name: str, stored: str, native: type) -> METype:
    dimensionality = int(class_name[2])
    return METype(code, f"{class_name}s", class_name, dimensionality, np.dtype(stored), np.dtype(native))


ME_TYPES: dict[int, METype] = {
    t.code: t
    for t in (
        _me_type(3, "TH1F", ">f4", np.float32),
        _me_type(4, "TH1S", ">i2", np.float32),
        _me_type(5, "TH1D", ">f8", np.float64),
        _me_type(6, "TH2F", ">f4", np.float32),
        _me_type(7, "TH2S", ">i2", np.float32),
        _me_type(8, "TH2D", ">f8", np.float64),
    )
}


def type_codes(dimensionality: int) -> list[int]:
    """The type codes a key of this dimensionality consumes."""
    return [code for code, me_type in ME_TYPES.items() if me_type.dimensionality == dimensionality]
