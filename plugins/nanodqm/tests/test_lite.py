"""The lite layout (spec §5.3): the small fixture converted with uproot must give the real layout's records
(scenario 19), and malformed lite entries give entry errors."""

from __future__ import annotations

import numpy as np
import pytest

from sciplane import EntryError, HistogramRecord, ParseError, ParserKey
from sciplane_nanodqm.parser import DqmioParser

LUM_1D = ParserKey("nanodqm", 1, "lum")
LUM_2D = ParserKey("nanodqm", 2, "lum")


def _parse(path, key, **options):
    with path.open("rb") as stream:
        return list(DqmioParser(**options).parse(stream, key=key))


def _with_column(trees, tree, column, change):
    """A copy of one lite tree with ``change(list of values)`` applied to one column."""
    kind, data = trees[tree][column]
    values = list(data)
    change(values)
    return {tree: {**trees[tree], column: (kind, values if kind in ("string", "var * float32", "var * float64")
                                                    else np.asarray(values, dtype=kind))}}


def test_lite_equals_real(small, small_lite, key, summary, same_record):
    """Scenario 19: the converted file gives the same counts, the same records field by field, the same digests."""
    lite = small_lite
    assert summary(lite, key).digest == summary(small, key).digest
    assert summary(lite, key).count == summary(small, key).count
    real, converted = _parse(small, key), _parse(lite, key)
    assert len(real) == len(converted)
    for mine, theirs in zip(converted, real, strict=True):
        same_record(mine, theirs)


def test_rewritten_lite_copy_is_unchanged(small, root_files, key, summary):
    """The helper that rebuilds lite files column by column (for the broken variants below) loses nothing."""
    assert summary(root_files.lite_copy("copy.root"), key).digest == summary(small, key).digest


def test_layout_is_chosen_per_tree(root_files):
    """A usable lite TH1Fs next to a TH2Fs with neither layout: 1D parses, 2D is ``bad_tree``."""
    broken = {"FullName": root_files.lite["TH2Fs"]["FullName"], "Flags": root_files.lite["TH2Fs"]["Flags"]}
    path = root_files.lite_copy("mixed.root", trees={"TH2Fs": broken})
    assert all(isinstance(item, HistogramRecord) for item in _parse(path, LUM_1D))
    with pytest.raises(ParseError) as caught:
        _parse(path, LUM_2D)
    assert (caught.value.code, caught.value.entry) == ("bad_tree", 1)


def test_lite_tree_missing_a_column_is_bad_tree(root_files):
    without_xmax = {name: column for name, column in root_files.lite["TH1Fs"].items() if name != "xmax"}
    path = root_files.lite_copy("no_xmax.root", trees={"TH1Fs": without_xmax})
    with pytest.raises(ParseError) as caught:
        _parse(path, LUM_1D)
    assert caught.value.code == "bad_tree" and "xmax" in caught.value.message


@pytest.mark.parametrize(("tree", "index", "parser_key"), [("TH1Fs", 4, LUM_1D), ("TH2Fs", 3, LUM_2D)])
def test_values_of_the_wrong_length(root_files, tree, index, parser_key):
    """One ``values`` array one number short: ``bad_length`` for that ME only, with its coordinates."""

    def shorten(values):
        values[index] = values[index][:-1]

    path = root_files.lite_copy("short.root", trees=_with_column(root_files.lite, tree, "values", shorten))
    items = _parse(path, parser_key)
    error = items[1]  # lumi 1's second ME
    assert isinstance(error, EntryError) and error.code == "bad_length"
    assert (error.entry, error.run, error.lumi) == (2, 357538, 1)
    assert error.title.endswith("_2") and error.message.startswith(f"{tree}[{index}]: ")
    assert all(isinstance(item, HistogramRecord) for item in items[:1] + items[2:])


def test_bad_values(root_files):
    """An empty axis range and an empty title are ``bad_value``; the empty title is not echoed in the error."""

    def flat_axis(values):
        values[3] = 0.0  # xmax = xmin = 0 for TH1Fs[3]

    def no_title(values):
        values[5] = ""

    trees = {"TH1Fs": {**_with_column(root_files.lite, "TH1Fs", "xmax", flat_axis)["TH1Fs"],
                       "FullName": _with_column(root_files.lite, "TH1Fs", "FullName", no_title)["TH1Fs"]["FullName"]}}
    items = _parse(root_files.lite_copy("bad_values.root", trees=trees), LUM_1D)
    assert [(i.entry, i.code) for i in items if isinstance(i, EntryError)] == [(1, "bad_value"), (3, "bad_value")]
    assert items[0].title.endswith("_1") and "axis" in items[0].message
    assert items[2].title is None and items[2].message.startswith("TH1Fs[5]: ")


def test_float64_values_keep_their_dtype(root_files, small):
    kind, values = root_files.lite["TH1Fs"]["values"]
    trees = {"TH1Fs": {**root_files.lite["TH1Fs"], "values": ("var * float64", [v.astype(np.float64) for v in values])}}
    records = _parse(root_files.lite_copy("doubles.root", trees=trees), LUM_1D)
    real = _parse(small, LUM_1D)
    assert {r.data.dtype for r in records} == {np.dtype(np.float64)}
    assert all(np.array_equal(a.data, b.data) for a, b in zip(records, real, strict=True))
