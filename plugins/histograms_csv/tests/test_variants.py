"""Header variants, ``histo`` spellings and row rules (spec sections 4.3 to 4.6; scenarios 31 and 32).

The derived files are written from the sample rows, and each must give the very same data as the
sample itself.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from sciplane import EntryError, HistogramRecord, ParserKey

KEY_1D = ParserKey("csv", 1, "lum")
KEY_2D = ParserKey("csv", 2, "lum")

VARIANT_B = ["fromrun", "fromlumi", "hname", "histo", "entries", "Xmax", "Xmin", "Xbins", "Ymax", "Ymin", "Ybins"]
VARIANT_C = ["fromrun", "fromlumi", "hname", "metype", "histo", "entries", "Xmax", "Xmin", "Xbins", "Ymax", "Ymin",
             "Ybins"]


def data_of(items) -> list[np.ndarray]:
    assert all(isinstance(item, HistogramRecord) for item in items), items
    return [item.data for item in items]


def same_data(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y) for x, y in zip(a, b, strict=True))


@pytest.fixture
def sample_data_1d(parse, sample_1d):
    return data_of(parse(sample_1d, KEY_1D))


@pytest.fixture
def sample_data_2d(parse, sample_2d):
    return data_of(parse(sample_2d, KEY_2D))


def respell(table, spell) -> None:
    """Write every row's histo again, each value through ``spell``."""
    for n in range(len(table.rows)):
        values = json.loads(table.get(n, "histo"))
        table.set(n, "histo", spell(values))


def test_space_separated_numbers_with_trailing_dots(parse, table_1d, sample_data_1d):
    table = table_1d.copy()
    respell(table, lambda values: "[" + " ".join(f"{v}." for v in values) + "]")
    assert table.get(0, "histo").startswith("[0. 0. 0. 0. 0. 0. 2. 3.")
    assert same_data(data_of(parse(table.to_bytes())), sample_data_1d)


def test_numpy_scalar_reprs(parse, table_1d, sample_data_1d):
    table = table_1d.copy()
    respell(table, lambda values: "[" + ", ".join(f"np.float64({v}.0)" for v in values) + "]")
    assert same_data(data_of(parse(table.to_bytes())), sample_data_1d)


@pytest.mark.parametrize("index_column", ["", "Unnamed: 0", "index"])
def test_variant_b_without_metype(parse, table_1d, sample_data_1d, index_column):
    table = table_1d.select(VARIANT_B, index_column=index_column)
    items = parse(table.to_bytes())
    assert same_data(data_of(items), sample_data_1d)
    assert {item.type_code for item in items} == {None}
    assert [(item.entry, item.line) for item in items] == [(n, n + 1) for n in range(1, 10)]
    assert parse(table.to_bytes(), KEY_2D) == []  # Ybins 1: every row is 1D


def test_variant_b_takes_the_dimensionality_from_ybins(parse, table_2d, sample_data_2d):
    table = table_2d.select(VARIANT_B, index_column="")
    assert same_data(data_of(parse(table.to_bytes(), KEY_2D)), sample_data_2d)
    assert parse(table.to_bytes(), KEY_1D) == []


def test_variant_c_with_metype(parse, table_1d, sample_data_1d):
    items = parse(table_1d.select(VARIANT_C, index_column="").to_bytes())
    assert same_data(data_of(items), sample_data_1d)
    assert {item.type_code for item in items} == {3}


def test_a_run_level_row_is_skipped(parse, count, table_1d):
    data = table_1d.copy().set(2, "fromlumi", "0").to_bytes()
    assert count(data) == 9
    assert [item.entry for item in parse(data)] == [1, 2, 4, 5, 6, 7, 8, 9]
    # The row is skipped before its histo is read: a broken list there goes unnoticed.
    data = table_1d.copy().set(2, "fromlumi", "0").set(2, "histo", "[oops").to_bytes()
    assert [item.entry for item in parse(data)] == [1, 2, 4, 5, 6, 7, 8, 9]


def test_a_row_of_the_other_dimensionality_is_not_decoded(parse, table_1d):
    data = table_1d.copy().set(0, "histo", "[not a list").to_bytes()
    assert parse(data, KEY_2D) == []
    assert parse(data, KEY_1D)[0].code == "bad_json"


def test_a_1d_row_without_flows(parse, table_1d, sample_data_1d):
    table = table_1d.copy()
    respell(table, lambda values: json.dumps(values[1:-1]))
    assert same_data(data_of(parse(table.to_bytes())), sample_data_1d)


def test_a_2d_row_without_flows(parse, table_2d, sample_data_2d):
    table = table_2d.copy()
    for n, data in enumerate(sample_data_2d):
        table.set(n, "histo", json.dumps(data.ravel().astype(int).tolist()))
    items = parse(table.to_bytes(), KEY_2D)
    assert same_data(data_of(items), sample_data_2d)
    assert all(item.data.flags.c_contiguous for item in items)


def test_2d_values_are_in_root_global_bin_order(parse, table_2d):
    # Xbins 3, Ybins 2 with flows: 5 x 4 cells numbered in order, x running fastest.
    table = table_2d.copy()
    table.rows = table.rows[:1]
    table.set(0, "Xbins", "3").set(0, "Ybins", "2").set(0, "histo", json.dumps(list(range(20))))
    (record,) = parse(table.to_bytes(), KEY_2D)
    assert record.data.tolist() == [[6, 7, 8], [11, 12, 13]]


FIVE = [0.0, 1.0, 2.5, -3.0, 0.0]  # underflow, three bins, overflow


@pytest.mark.parametrize(("histo", "expected"), [
    ("[0, 1, 2.5, -3, 0]", [1, 2.5, -3]),
    ("[0,1,2.5,-3,0]", [1, 2.5, -3]),
    ("  [ 0 , 1 , 2.5 , -3 , 0 ]  ", [1, 2.5, -3]),
    ("[1, 2.5, -3]", [1, 2.5, -3]),
    ("[0e0, 1E0, 25e-1, -0.3e+1, 0]", [1, 2.5, -3]),
    ("[0. 1. 2.5 -3. 0.]", [1, 2.5, -3]),
    ("[0.\t1.\t2.5\t-3.\t0.]", [1, 2.5, -3]),
    ("[0 1, 2.5,-3 0]", [1, 2.5, -3]),
    ("[.0, +1, 2.50, -3., 0]", [1, 2.5, -3]),
    ("[0, 1e+38, 1e-38, -1e+38, 0]", [1e38, 1e-38, -1e38]),
    ("[0, nan, inf, -inf, 0]", [math.nan, math.inf, -math.inf]),
    ("[0, NaN, Infinity, -Infinity, 0]", [math.nan, math.inf, -math.inf]),
    ("[np.float64(0.0), np.float64(1.0), np.float64(2.5), np.float64(-3.0), np.float64(0.0)]", [1, 2.5, -3]),
    ("[np.int64(0), np.int64(1), np.float32(2.5), np.int32(-3), np.uint8(0)]", [1, 2.5, -3]),
    ("[np.float64(nan), np.float64(inf), 2.5, np.float64(-inf), 0]", [math.inf, 2.5, -math.inf]),
    ("[0, 18446744073709551616, 1, 2, 0]", [18446744073709551616.0, 1, 2]),
])
def test_histo_spellings(parse, table_1d, histo, expected):
    table = table_1d.copy()
    table.rows = table.rows[:1]
    table.set(0, "Xbins", "3").set(0, "histo", histo)
    (record,) = parse(table.to_bytes())
    assert isinstance(record, HistogramRecord), record
    assert record.data.dtype == np.float64
    np.testing.assert_array_equal(record.data, np.array(expected, dtype=np.float64))


@pytest.mark.parametrize("histo", [
    "[0, 1, 2",
    "0, 1, 2]",
    "0, 1, 2",
    "",
    "garbage",
    "[[0, 1], [2, 3], [4]]",
    "[[0, 1, 2, 3, 4]]",
    "[0, [1, 2], 3, 4]",
    "[0,, 1, 2, 3]",
    "[0, 1, 2, 3, 4,]",
    "[, 0, 1, 2, 3]",
    "[true, 1, 2, 3, 4]",
    "[null, 1, 2, 3, 4]",
    '["0", 1, 2, 3, 4]',
    "{0, 1, 2, 3, 4}",
    "[0, 1, 2, 3, x]",
    "[0x0, 1, 2, 3, 4]",
    "[1_0, 1, 2, 3, 4]",
    "[0, 1, 2, 3, 4]]",
    "[0, 1, 2, 3, 4] trailing",
    "[np.float64(1 2), 1, 2, 3]",
    "[np.float64(), 1, 2, 3, 4]",
    "[np.str_('0'), 1, 2, 3, 4]",
    "[0, 1, 2, 3, 4e]",
    "[0, 1, 2, 3, --4]",
    "[0, 1, 2, 3, 1.2.3]",
    "[nanx, 1, 2, 3, 4]",
])
def test_lists_outside_the_grammar_are_bad_json(parse, table_1d, histo):
    table = table_1d.copy()
    table.rows = table.rows[:1]
    table.set(0, "Xbins", "3").set(0, "histo", histo)
    (error,) = parse(table.to_bytes())
    assert isinstance(error, EntryError)
    assert (error.code, error.entry, error.line) == ("bad_json", 1, 2), error.message
    assert (error.run, error.lumi, error.title) == (315488, 229, table_1d.get(0, "hname"))


def test_an_empty_list_has_the_wrong_length(parse, table_1d):
    table = table_1d.copy().set(0, "histo", "[]")
    error = parse(table.to_bytes())[0]
    assert error.code == "bad_length"
    assert error.message == "histo has 0 values; expected 102 (Xbins+2) or 100 (Xbins)"


def test_doubled_quotes_inside_a_quoted_field(parse, table_1d):
    title = 'say "hi", twice'
    record = parse(table_1d.copy().set(0, "hname", title).to_bytes())[0]
    assert record.title == title


def test_the_first_of_repeated_columns_is_used(parse, table_1d):
    # Variant A writes fromrun, fromlumi and hname twice; only the first copy is read.
    table = table_1d.copy()
    second = [i for i, name in enumerate(table.header) if name == "hname"][1]
    table.rows[0][second] = "ignored"
    assert parse(table.to_bytes())[0].title == table_1d.get(0, "hname")
