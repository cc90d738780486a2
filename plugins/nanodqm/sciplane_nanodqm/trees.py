"""Opening the type trees a key needs, choosing the layout per tree, and checking the index against them."""

from __future__ import annotations

from typing import IO

import uproot

from sciplane import ParseError

from .indices import EntrySequence, IndexRow
from .lite import LiteTree, lite_columns
from .metypes import METype
from .real import RealTree
from .rootfile import reason

TypeTree = RealTree | LiteTree


def open_trees(directory: uproot.ReadOnlyDirectory, sequence: EntrySequence, reader: str,
               stream: IO[bytes]) -> dict[int, TypeTree]:
    """One reader per type the sequence uses, keyed by type code; ``stream`` is the file ``directory`` was read
    from, which the real layout's basket reader reads directly.

    Every row is checked before the first record is produced, in sequence order, so a broken index fails the
    parse with the first offending row's entry number instead of after part of the file was stored.
    """
    trees: dict[int, TypeTree] = {}
    for row in sequence.rows:
        tree = trees.get(row.me_type.code)
        if tree is None:
            tree = trees[row.me_type.code] = open_tree(directory, row.me_type, reader, stream,
                                                           entry=row.first_entry)
        _check_range(row, tree)
    return trees


def open_tree(directory: uproot.ReadOnlyDirectory, me_type: METype, reader: str, stream: IO[bytes], *,
              entry: int) -> TypeTree:
    """The type tree in whichever layout it has: ``Value`` means real, ``values`` with ``nx`` means lite."""
    name = me_type.tree
    if name not in directory:
        raise ParseError("missing_tree", f"Indices refers to type {me_type.code}, but the file has no {name} tree",
                         entry=entry)
    try:
        tree = directory[name]
    except Exception as exc:
        raise ParseError("bad_tree", f"{name} cannot be read: {reason(exc)}", entry=entry) from None
    if not isinstance(tree, uproot.TTree):
        raise ParseError("bad_tree", f"{name} is a {tree.classname}, not a TTree", entry=entry)
    if "FullName" not in tree:
        raise ParseError("bad_tree", f"{name} has no FullName branch", entry=entry)
    if "Value" in tree:
        return RealTree(tree, me_type, reader, stream)
    if "values" in tree and "nx" in tree:
        missing = [column for column in lite_columns(me_type.dimensionality) if column not in tree]
        if not missing:
            return LiteTree(tree, me_type)
        raise ParseError("bad_tree", f"the lite tree {name} lacks {', '.join(missing)}", entry=entry)
    raise ParseError("bad_tree", f"{name} has neither a Value branch (DQMIO) nor values and nx (lite)", entry=entry)


def _check_range(row: IndexRow, tree: TypeTree) -> None:
    if row.last >= tree.num_entries:
        raise ParseError("bad_index", f"Indices row for run {row.run}, lumi {row.lumi}, type {row.me_type.code} "
                         f"ends at {tree.name}[{row.last}], but {tree.name} has {tree.num_entries} entries",
                         entry=row.first_entry)
