"""File-level errors (spec §5.4, §5.7, scenario 29) and the rows the entry sequence skips, on files built here."""

from __future__ import annotations

import io

import numpy as np
import pytest
import uproot

from sciplane import HistogramRecord, ParseError, ParserKey
from sciplane_nanodqm.parser import DqmioParser

LUM_1D = ParserKey("nanodqm", 1, "lum")
RUN_1D = ParserKey("nanodqm", 1, "run")
LUM_2D = ParserKey("nanodqm", 2, "lum")


def _count(source, key):
    with (source.open("rb") if hasattr(source, "open") else io.BytesIO(source)) as stream:
        return DqmioParser().count(stream, key=key)


def _parse(source, key, start=0):
    with (source.open("rb") if hasattr(source, "open") else io.BytesIO(source)) as stream:
        return list(DqmioParser().parse(stream, key=key, start=start))


def _raises(code, call, *args, entry=0):
    with pytest.raises(ParseError) as caught:
        call(*args)
    assert (caught.value.code, caught.value.entry) == (code, entry), caught.value.message
    return caught.value


def _indices_with(root_files, **changes):
    """A copy of the small fixture's Indices columns with ``{column: {row: value}}`` changes applied."""
    columns = {name: values.copy() for name, values in root_files.indices.items()}
    for column, rows in changes.items():
        for row, value in rows.items():
            columns[column][row] = value
    return columns


def _append_rows(columns, *rows):
    """Indices columns with rows ``(run, lumi, type, first, last)`` appended."""
    added = dict(zip(("Run", "Lumi", "Type", "FirstIndex", "LastIndex"), zip(*rows, strict=True), strict=True))
    return {name: np.concatenate([values, np.asarray(added.get(name, [0] * len(rows)), dtype=values.dtype)])
            for name, values in columns.items()}


@pytest.mark.parametrize("content", [b"", b"this is not a ROOT file\n" * 64], ids=["empty", "text"])
def test_not_root(content, key):
    _raises("not_root", _count, content, key)
    error = _raises("not_root", _parse, content, key)
    assert "\n" not in error.message and " at 0x" not in error.message, error.message


def test_not_dqmio_without_indices(root_files, key):
    path = root_files.write("no_indices.root", {"TH1Fs": root_files.lite["TH1Fs"]})
    _raises("not_dqmio", _count, path, key)
    _raises("not_dqmio", _parse, path, key)


def test_not_dqmio_when_indices_lacks_a_branch(root_files):
    indices = root_files.indices_tree(root_files.indices)
    del indices["LastIndex"]
    path = root_files.write("partial_indices.root", {"Indices": indices, **root_files.lite})
    error = _raises("not_dqmio", _count, path, LUM_1D)
    assert "LastIndex" in error.message


def test_not_dqmio_when_indices_is_not_a_tree(root_files):
    path = root_files.directory / "histogram.root"
    with uproot.recreate(path) as f:
        f["Indices"] = np.histogram(np.arange(10), bins=5)
    _raises("not_dqmio", _count, path, LUM_1D)


def test_count_reads_only_indices_and_parse_needs_the_trees(root_files, key):
    """A file holding nothing but Indices still counts; parsing it finds the type tree missing at entry 1."""
    path = root_files.write("only_indices.root", {"Indices": root_files.indices_tree(root_files.indices)})
    assert _count(path, key) == {(1, "lum"): 12, (2, "lum"): 8, (1, "run"): 3, (2, "run"): 2}[key[1:]]
    _raises("missing_tree", _parse, path, key, entry=1)


def test_missing_tree_reports_the_rows_first_entry(root_files):
    """A TH1S row after the 12 TH1F entries of the lum sequence: ``missing_tree`` at entry 13; run keys, which do
    not select that row, are unaffected."""
    path = root_files.lite_copy("th1s.root", indices=_append_rows(root_files.indices, (357538, 6, 4, 0, 1)))
    assert _count(path, LUM_1D) == 14
    error = _raises("missing_tree", _parse, path, LUM_1D, entry=13)
    assert "TH1Ss" in error.message
    assert len(_parse(path, RUN_1D)) == 3


def test_tree_with_neither_layout_is_bad_tree(root_files):
    columns = root_files.lite["TH1Fs"]
    path = root_files.lite_copy("bare.root", trees={"TH1Fs": {"FullName": columns["FullName"],
                                                              "Flags": columns["Flags"]}})
    _raises("bad_tree", _parse, path, LUM_1D, entry=1)
    assert len(_parse(path, LUM_2D)) == 8, "the layout is decided per tree"


def test_last_index_beyond_the_tree_is_bad_index(root_files):
    """Scenario 29: row 9 (lumi 5, TH1F) ends at TH1Fs[15] of 15 entries; its first entry is 10 in (1, lum)."""
    path = root_files.lite_copy("beyond.root", indices=_indices_with(root_files, LastIndex={9: 15}))
    assert _count(path, LUM_1D) == 13
    error = _raises("bad_index", _parse, path, LUM_1D, entry=10)
    assert "TH1Fs[15]" in error.message
    assert len(_parse(path, LUM_2D)) == 8


def test_reversed_range_is_bad_index_for_count_too(root_files):
    path = root_files.lite_copy("reversed.root", indices=_indices_with(root_files, FirstIndex={4: 9}))  # lumi 2
    _raises("bad_index", _count, path, LUM_1D, entry=4)
    _raises("bad_index", _parse, path, LUM_1D, entry=4)


def test_indices_that_are_not_entry_numbers_are_bad_index(root_files):
    """A signed FirstIndex below zero, or an index column of floats: ``bad_index``, never an internal error."""
    signed = _indices_with(root_files)
    signed["FirstIndex"] = signed["FirstIndex"].astype(np.int64)
    signed["FirstIndex"][4] = -2  # lumi 2
    path = root_files.lite_copy("negative.root", indices=signed, index_kinds={"FirstIndex": np.int64})
    _raises("bad_index", _count, path, LUM_1D, entry=4)
    _raises("bad_index", _parse, path, LUM_1D, entry=4)
    path = root_files.lite_copy("floats.root", index_kinds={"LastIndex": np.float64})
    error = _raises("bad_index", _parse, path, LUM_1D)
    assert "LastIndex" in error.message and "float64" in error.message


def test_unhandled_types_are_skipped_not_counted(root_files, small):
    """Scalar, TH3, profile and empty-lumi rows reference trees the file does not have: they are neither counted
    nor opened, and the sequence is the fixture's."""
    extra = [(357538, 6, code, 0, 4) for code in (0, 1, 2, 9, 10, 11)] + [(357538, 7, 1000, 0, 0)]
    path = root_files.lite_copy("others.root", indices=_append_rows(root_files.indices, *extra))
    for key in (LUM_1D, LUM_2D):
        items = _parse(path, key)
        assert _count(path, key) == len(items) == _count(small, key)
        assert all(isinstance(item, HistogramRecord) and item.lumi in (1, 2, 4, 5) for item in items)


def test_start_skips_whole_and_partial_rows(small):
    """Entry numbers follow the sequence after a resume in the middle of a row (lumi 2's row holds 4..6)."""
    items = _parse(small, LUM_1D, start=4)
    assert [(i.entry, i.lumi, i.title[-1]) for i in items[:3]] == [(5, 2, "2"), (6, 2, "3"), (7, 4, "1")]
    assert _parse(small, LUM_1D, start=12) == [] and _parse(small, LUM_1D, start=99) == []


def test_unserved_key_is_a_programming_error(small):
    with pytest.raises(ValueError):
        _count(small, ParserKey("nanodqm", 3, "lum"))
    with pytest.raises(ValueError):
        _parse(small, ParserKey("nanodqm", 1, "fill"))
