"""The project's "lite" layout (spec §5.3): plain columns instead of a ``Value`` object.

uproot can write these trees (it cannot write TBranchObject histograms), so tests and tools can produce DQMIO
input without ROOT.  The bin array is a jagged ``values`` column in ROOT's global-bin order with flows.  This
module owns the layout: the columns it has, reading MEs from it, and converting a real DQMIO file into it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import uproot

from .decoded import Axis, DecodedME, Problem, cell_count, strip_flows
from .indices import INDEX_TREE
from .metypes import ME_TYPES, METype
from .records import axis_problem
from .rootfile import reason
from .windows import BasketWindows

_AXIS_COLUMNS = {"x": ("nx", "xmin", "xmax"), "y": ("ny", "ymin", "ymax")}
_ROOT_AXES = {"x": "fXaxis", "y": "fYaxis"}


def _axes(dimensionality: int) -> tuple[str, ...]:
    return ("x", "y")[:dimensionality]


def lite_columns(dimensionality: int) -> list[str]:
    """The branches a lite tree of this dimensionality must have."""
    axes = _axes(dimensionality)
    return ["FullName", "entries", *(name for axis in axes for name in _AXIS_COLUMNS[axis]), "values"]


class LiteTree:
    """Reads MEs by tree entry, one basket range of ``values`` (the large column) at a time."""

    def __init__(self, tree: uproot.TTree, me_type: METype):
        self.name = me_type.tree
        self.num_entries = tree.num_entries
        self._tree = tree
        self._me_type = me_type
        self._columns = lite_columns(me_type.dimensionality)
        self._rows = BasketWindows(tree["values"].entry_offsets, self._read_range)

    def get(self, index: int) -> tuple[str | None, DecodedME | Problem]:
        return self._rows.get(index)

    def _read_range(self, basket: int, start: int, stop: int) -> list[tuple[str | None, DecodedME | Problem]]:
        try:
            columns = self._tree.arrays(self._columns, entry_start=start, entry_stop=stop, library="np")
        except Exception as exc:
            problem = Problem("unreadable_object", f"the lite columns cannot be read: {reason(exc)}")
            return [(None, problem)] * (stop - start)
        return [(columns["FullName"][i], self._decode(columns, i)) for i in range(stop - start)]

    def _decode(self, columns: dict[str, np.ndarray], i: int) -> DecodedME | Problem:
        x = _axis(columns, "x", i)
        y = _axis(columns, "y", i) if self._me_type.dimensionality == 2 else None
        reason = axis_problem("x", x) or (axis_problem("y", y) if y else None)
        if reason:  # checked before the length: a negative bin count could fake a matching cell count
            return Problem("bad_value", reason)
        values = columns["values"][i]
        ny = y.nbins if y else None
        cells = cell_count(x.nbins, ny)
        if len(values) != cells:
            return Problem("bad_length", f"values has {len(values)} numbers, the axes need {cells} with flows")
        dtype = np.dtype(np.float32 if values.dtype == np.float32 else np.float64)
        return DecodedME(float(columns["entries"][i]), x, y, strip_flows(values, x.nbins, ny, dtype))


def _axis(columns: dict[str, np.ndarray], axis: str, i: int) -> Axis:
    nbins, low, high = _AXIS_COLUMNS[axis]
    return Axis(int(columns[nbins][i]), float(columns[low][i]), float(columns[high][i]), None)


# --- writing -------------------------------------------------------------------------------------------------------


def convert(source: str | Path, target: str | Path, *, step_size: int = 1000) -> Path:
    """Write ``target`` as the lite conversion of the real DQMIO file ``source``; returns ``target``.

    ``Indices`` is copied unchanged and every histogram type tree with a ``Value`` branch becomes a lite tree
    (trees of other types are left out: the parser does not read them).  Per ME, ``values`` is ``values(flow=True)``
    in 1D and ``values(flow=True).T.ravel()`` in 2D, i.e. ROOT's global-bin order.  Trees are written with
    ``mktree`` and ``extend`` (``f[name] = …`` would write an RNTuple since uproot 5.7), ``step_size`` entries
    at a time so memory follows the step, not the file.
    """
    target = Path(target)
    with uproot.open(source) as real, uproot.recreate(target) as lite:
        indices = real[INDEX_TREE].arrays(library="np")
        lite.mktree(INDEX_TREE, {name: column.dtype for name, column in indices.items()}).extend(indices)
        for me_type in ME_TYPES.values():
            if me_type.tree in real and "Value" in real[me_type.tree]:
                _convert_tree(real[me_type.tree], lite, me_type, step_size)
    return target


def _convert_tree(tree: uproot.TTree, lite: uproot.WritableDirectory, me_type: METype, step_size: int) -> None:
    # A jagged column must reach uproot as an awkward array (uproot's own dependency, so not declared here):
    # a list of equal-length arrays would be written as a regular 2D branch without the ``nvalues`` counter.
    import awkward as ak

    axes = _axes(me_type.dimensionality)
    types = {"FullName": "string", "Flags": np.uint32, "entries": np.float64}
    for axis in axes:
        nbins, low, high = _AXIS_COLUMNS[axis]
        types.update({nbins: np.int32, low: np.float64, high: np.float64})
    types["values"] = f"var * {me_type.native.name}"
    output = lite.mktree(me_type.tree, types)
    for chunk in tree.iterate(["FullName", "Flags", "Value"], step_size=step_size, library="np"):
        objects = chunk["Value"]
        columns = {"FullName": chunk["FullName"], "Flags": chunk["Flags"],
                   "entries": np.array([h.member("fEntries") for h in objects], dtype=np.float64)}
        for axis in axes:
            nbins, low, high = _AXIS_COLUMNS[axis]
            root_axes = [h.member(_ROOT_AXES[axis]) for h in objects]
            columns[nbins] = np.array([a.member("fNbins") for a in root_axes], dtype=np.int32)
            columns[low] = np.array([a.member("fXmin") for a in root_axes], dtype=np.float64)
            columns[high] = np.array([a.member("fXmax") for a in root_axes], dtype=np.float64)
        flows = [h.values(flow=True).T.ravel() if me_type.dimensionality == 2 else h.values(flow=True)
                 for h in objects]
        counts = np.array([len(v) for v in flows], dtype=np.int64)
        flat = np.concatenate(flows).astype(me_type.native) if flows else np.zeros(0, me_type.native)
        columns["values"] = ak.unflatten(flat, counts)
        output.extend(columns)
