"""uproot's object path: the reference the fast reader must match, and its fallback (spec §5.5, §5.6)."""

from __future__ import annotations

import numpy as np
import uproot

from .decoded import Axis, DecodedME, Problem
from .metypes import METype
from .rootfile import reason


def read_objects(branch: uproot.TBranch, start: int, stop: int, me_type: METype) -> list[DecodedME | Problem]:
    """Entries ``start..stop-1`` of a ``Value`` branch, deserialised by uproot.

    The whole range is asked for at once (one basket range, as uproot reads it); if that fails, each entry is
    retried alone so one bad object costs only its own entry.
    """
    try:
        objects = branch.array(entry_start=start, entry_stop=stop, library="np")
    except Exception:
        return [read_object(branch, index, me_type) for index in range(start, stop)]
    return [decode_object(obj, me_type) for obj in objects]


def read_object(branch: uproot.TBranch, index: int, me_type: METype) -> DecodedME | Problem:
    try:
        (obj,) = branch.array(entry_start=index, entry_stop=index + 1, library="np")
    except Exception as exc:
        return Problem("unreadable_object", f"uproot cannot deserialise the object: {reason(exc)}")
    return decode_object(obj, me_type)


def decode_object(obj: object, me_type: METype) -> DecodedME | Problem:
    """The ME of one uproot histogram object; its ``values()`` give the data (transposed to ``[y][x]`` in 2D)."""
    class_name = getattr(obj, "classname", type(obj).__name__)
    if class_name != me_type.class_name:
        return Problem("unreadable_object", f"the object is a {class_name}, expected {me_type.class_name}")
    try:
        entries = float(obj.member("fEntries"))
        x = _axis(obj.member("fXaxis"))
        y = _axis(obj.member("fYaxis")) if me_type.dimensionality == 2 else None
    except Exception as exc:
        return Problem("unreadable_object", f"the object's axes cannot be read: {reason(exc)}")
    try:
        values = obj.values()
    except ValueError as exc:  # uproot cannot shape a bin array that does not fit the axes
        return Problem("bad_length", f"the bin array does not match the axes: {reason(exc)}")
    if me_type.dimensionality == 2:
        values = values.T
    return DecodedME(entries, x, y, np.ascontiguousarray(values, dtype=me_type.native))


def _axis(axis: object) -> Axis:
    edges = np.array(axis.member("fXbins"), dtype=np.float64)
    return Axis(int(axis.member("fNbins")), float(axis.member("fXmin")), float(axis.member("fXmax")),
                edges if edges.size else None)
