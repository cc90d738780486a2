"""Writing DQMIO input at test time, without ROOT: the ``Indices`` tree and lite type trees read back as columns,
edited, and written again with uproot.  Used by this package's tests and by the histogram store's job tests."""

from __future__ import annotations

from pathlib import Path

import awkward as ak  # uproot's own dependency: jagged columns reach uproot through it
import numpy as np
import uproot

from .indices import INDEX_TREE

INDEX_BRANCHES = {"Run": np.uint32, "Lumi": np.uint32, "ProcessHistoryIndex": np.uint32, "BeginTime": np.uint64,
                  "EndTime": np.uint64, "Type": np.uint32, "FirstIndex": np.uint64, "LastIndex": np.uint64}


def read_indices(path: Path) -> dict[str, np.ndarray]:
    with uproot.open(path) as f:
        return f[INDEX_TREE].arrays(list(INDEX_BRANCHES), library="np")


def tree_columns(path: Path, name: str) -> dict[str, tuple]:
    """A tree read back as ``{branch: (uproot type, data)}``, ready to be edited and written again.

    uproot's jagged-array counters (``n<branch>``) are left out: ``mktree`` recreates them.
    """
    with uproot.open(path) as f:
        tree = f[name]
        arrays = tree.arrays(library="np")
        counters = {branch.count_branch.name for branch in tree.branches if branch.count_branch is not None}
        columns = {}
        for branch in tree.branches:
            data = arrays[branch.name]
            if branch.name in counters:
                continue
            if branch.count_branch is not None:
                element = branch.interpretation.content.to_dtype.newbyteorder("=")
                columns[branch.name] = (f"var * {element.name}", list(data))
            elif isinstance(branch.interpretation, uproot.AsStrings):
                columns[branch.name] = ("string", list(data))
            else:
                columns[branch.name] = (data.dtype, data)
        return columns


def write_root(path: Path, trees: dict[str, dict[str, tuple]]) -> Path:
    """Write TTrees with ``mktree`` + ``extend`` (``f[name] = …`` would write an RNTuple since uproot 5.7).

    Jagged columns go through awkward: given a list of equal-length arrays, uproot would see a regular 2D array.
    """
    with uproot.recreate(path) as f:
        for name, columns in trees.items():
            tree = f.mktree(name, {branch: kind for branch, (kind, _) in columns.items()})
            tree.extend({branch: ak.from_iter(data) if isinstance(kind, str) and kind.startswith("var *") else data
                         for branch, (kind, data) in columns.items()})
    return path


def indices_tree(columns: dict[str, np.ndarray], kinds: dict[str, type] | None = None) -> dict[str, tuple]:
    """An Indices tree of ``columns``, each written as CMSSW writes it unless ``kinds`` names another type."""
    kinds = {**INDEX_BRANCHES, **(kinds or {})}
    return {name: (kind, np.asarray(columns[name], dtype=kind)) for name, kind in kinds.items()}
