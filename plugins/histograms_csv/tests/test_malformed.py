"""Bad rows and bad files, at parser level (spec sections 4.4, 4.5, 4.8; scenarios 21 to 25).

A bad row yields an ``EntryError`` with its entry and physical line, and the run, lumi and title
when those fields can be read; the rows after it are parsed as usual.  Only an empty file or a
header lacking a required column stops the parse, with ``ParseError``.
"""

from __future__ import annotations

import pytest

from sciplane import EntryError, HistogramRecord, ParseError, ParserKey
from sciplane_histograms_csv.parser import LegacyCsvParser

KEY_1D = ParserKey("csv", 1, "lum")
KEY_2D = ParserKey("csv", 2, "lum")


@pytest.fixture
def ten_rows(table_1d):
    """The synthetic 1D file of scenario 21: ten sample rows, each in its own lumisection."""
    table = table_1d.copy()
    table.rows = [list(table_1d.rows[n % 9]) for n in range(10)]
    for n in range(10):
        table.set(n, "fromlumi", str(101 + n))
    return table


def only_error(items) -> EntryError:
    errors = [item for item in items if isinstance(item, EntryError)]
    assert len(errors) == 1, errors
    return errors[0]


def test_bad_json_reports_entry_and_line_and_the_parse_goes_on(parse, ten_rows):
    ten_rows.set(6, "histo", "[0, 1, 2")
    items = parse(ten_rows.to_bytes())
    error = only_error(items)
    assert (error.entry, error.line, error.code) == (7, 8, "bad_json")
    assert (error.run, error.lumi, error.title) == (315488, 107, ten_rows.get(6, "hname"))
    assert [item.entry for item in items] == list(range(1, 11))
    assert sum(isinstance(item, HistogramRecord) for item in items) == 9


def test_a_list_one_value_too_long_is_bad_length(parse, ten_rows):
    histo = ten_rows.get(4, "histo")
    ten_rows.set(4, "histo", histo[:-1] + ", 7]")
    error = only_error(parse(ten_rows.to_bytes()))
    assert (error.entry, error.line, error.code) == (5, 6, "bad_length")
    assert error.message == "histo has 103 values; expected 102 (Xbins+2) or 100 (Xbins)"


def test_bad_length_message_of_the_spec(parse, ten_rows):
    ten_rows.set(4, "histo", "[" + ", ".join(["1"] * 101) + "]")
    error = only_error(parse(ten_rows.to_bytes()))
    assert error.message == "histo has 101 values; expected 102 (Xbins+2) or 100 (Xbins)"


def test_a_2d_row_with_the_wrong_ybins_is_bad_length(parse, table_2d):
    table = table_2d.copy().set(4, "Ybins", "81")
    items = parse(table.to_bytes(), KEY_2D)
    error = only_error(items)
    assert (error.entry, error.line, error.code) == (5, 6, "bad_length")
    # Row 5 holds 15 x 82 = 1230 values for Xbins 13.
    assert error.message == "histo has 1230 values; expected 1245 ((Xbins+2)*(Ybins+2)) or 1053 (Xbins*Ybins)"
    assert len(items) == 9


def test_a_row_without_its_last_field_is_missing_column(parse, ten_rows):
    data = ten_rows.to_bytes().split(b"\n")
    data[3] = data[3].rsplit(b",", 1)[0]
    error = only_error(parse(b"\n".join(data)))
    assert (error.entry, error.line, error.code) == (3, 4, "missing_column")
    assert (error.run, error.lumi, error.title) == (315488, 103, ten_rows.get(2, "hname"))


def test_a_row_with_an_extra_field_is_extra_column(parse, ten_rows):
    data = ten_rows.to_bytes().split(b"\n")
    data[3] += b",1"
    error = only_error(parse(b"\n".join(data)))
    assert (error.entry, error.line, error.code) == (3, 4, "extra_column")


def test_an_unclosed_quote_runs_to_the_end_of_its_line_only(parse, ten_rows):
    data = ten_rows.to_bytes().split(b"\n")
    data[3] = data[3].replace(b']"', b"]", 1)
    items = parse(b"\n".join(data))
    assert only_error(items).code == "missing_column"
    assert len(items) == 10


def test_a_header_without_histo_is_bad_header(parse, count, ten_rows):
    table = ten_rows.copy()
    table.header = ["histogram" if name == "histo" else name for name in table.header]
    with pytest.raises(ParseError) as caught:
        parse(table.to_bytes())
    error = caught.value
    assert (error.code, error.entry, error.line) == ("bad_header", 0, 1)
    assert "histo" in error.message
    assert count(table.to_bytes()) == 10  # counting never reads the header's names


def test_the_2d_key_needs_the_y_columns(parse, table_1d):
    table = table_1d.select(["fromrun", "fromlumi", "hname", "metype", "histo", "entries", "Xmax", "Xmin", "Xbins"])
    assert len(parse(table.to_bytes(), KEY_1D)) == 9
    with pytest.raises(ParseError) as caught:
        parse(table.to_bytes(), KEY_2D)
    assert caught.value.code == "bad_header"
    assert all(name in caught.value.message for name in ("Ymin", "Ymax", "Ybins"))


@pytest.mark.parametrize("key", [KEY_1D, KEY_2D])
def test_a_zero_byte_file_is_empty_file(parse, count, key):
    for call in (parse, count):
        with pytest.raises(ParseError) as caught:
            call(b"", key)
        assert (caught.value.code, caught.value.entry) == ("empty_file", 0)


@pytest.mark.parametrize("ending", [b"", b"\n", b"\r\n", b"\n\n  \n"])
def test_a_header_only_file_has_no_entries(parse, count, table_1d, ending):
    data = table_1d.to_bytes().split(b"\n")[0] + ending
    assert count(data) == 0
    assert parse(data) == []


def test_cr_only_line_endings_are_bad_header_not_an_empty_file(parse, table_1d):
    """Lines ending in CR alone (classic Mac OS) read as one line: refused, instead of a parse of no rows."""
    data = table_1d.to_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r")
    with pytest.raises(ParseError) as caught:
        parse(data)
    assert (caught.value.code, caught.value.line) == ("bad_header", 1)
    assert "\\r alone" in caught.value.message


def test_a_file_of_blank_lines_has_no_header(parse, count):
    assert count(b"\n \n") == 0
    with pytest.raises(ParseError) as caught:
        parse(b"\n \n")
    assert (caught.value.code, caught.value.line) == ("bad_header", 1)


@pytest.mark.parametrize(("column", "value", "code"), [
    ("fromrun", "0", "bad_value"),
    ("fromrun", "abc", "bad_value"),
    ("fromrun", "315488.5", "bad_value"),
    ("fromlumi", "-1", "bad_value"),
    ("fromlumi", "", "bad_value"),
    ("hname", "", "bad_value"),
    ("hname", "x" * 1025, "bad_value"),
    ("hname", "a\x00b", "bad_value"),
    ("metype", "TH1F", "bad_value"),
    ("entries", "-1", "bad_value"),
    ("entries", "nan", "bad_value"),
    ("entries", "inf", "bad_value"),
    ("entries", "many", "bad_value"),
    ("Xbins", "0", "bad_axis"),
    ("Xbins", "100.5", "bad_axis"),
    ("Xbins", "", "bad_axis"),
    ("Xmin", "nan", "bad_axis"),
    ("Xmax", "inf", "bad_axis"),
    ("Xmin", "99.5", "bad_axis"),
    ("Xmin", "120", "bad_axis"),
    ("Xmax", "high", "bad_axis"),
])
def test_bad_scalar_fields(parse, table_1d, column, value, code):
    table = table_1d.copy().set(0, column, value)
    items = parse(table.to_bytes())
    error = only_error(items)
    assert (error.entry, error.line, error.code) == (1, 2, code)
    assert error.run == (None if column == "fromrun" else 315488)
    assert error.lumi == (None if column == "fromlumi" else 229)
    assert error.title == (None if column == "hname" else table_1d.get(0, "hname"))
    assert len(items) == 9


@pytest.mark.parametrize(("column", "value"), [("Ybins", "0"), ("Ybins", "many"), ("Ymin", "-inf"), ("Ymax", "0")])
def test_bad_y_axis_of_a_2d_row(parse, table_2d, column, value):
    error = only_error(parse(table_2d.copy().set(0, column, value).to_bytes(), KEY_2D))
    assert (error.entry, error.code) == (1, "bad_axis")
    # The scalars are checked before the payload is decoded, so a broken list changes nothing.
    table = table_2d.copy().set(0, column, value).set(0, "histo", "[oops")
    assert only_error(parse(table.to_bytes(), KEY_2D)).code == "bad_axis"


def test_the_y_axis_of_a_1d_row_is_not_read(parse, table_1d):
    table = table_1d.copy().set(0, "Ybins", "none").set(0, "Ymin", "nan")
    assert all(isinstance(item, HistogramRecord) for item in parse(table.to_bytes()))


@pytest.mark.parametrize(("column", "value", "expected"), [
    ("fromrun", "315488.0", ("run", 315488)),
    ("fromlumi", "229.0", ("lumi", 229)),
    ("entries", "78001.0", ("entries", 78001)),
    ("entries", "78001.9", ("entries", 78001)),
    ("entries", "7.8001e4", ("entries", 78001)),
    ("Xbins", "100.0", ("x_bin", 100)),
    ("metype", "3.0", ("type_code", 3)),
])
def test_numbers_written_as_floats_are_accepted(parse, table_1d, column, value, expected):
    record = parse(table_1d.copy().set(0, column, value).to_bytes())[0]
    name, wanted = expected
    assert getattr(record, name) == wanted and type(getattr(record, name)) is int


@pytest.mark.parametrize("code", ["0", "1", "2", "9", "12", "1000"])
def test_rows_of_other_type_codes_are_skipped_by_both_keys(parse, table_1d, code):
    data = table_1d.copy().set(0, "metype", code).to_bytes()
    assert [item.entry for item in parse(data, KEY_1D)] == list(range(2, 10))
    assert parse(data, KEY_2D) == []


def test_invalid_utf8_is_bad_encoding(parse, table_1d):
    data = table_1d.to_bytes().replace(b"TEC__MINUS__wheel__7", b"TEC__MINUS__wheel__\xff")
    items = parse(data)
    error = only_error(items)
    assert (error.entry, error.line, error.code) == (1, 2, "bad_encoding")
    assert (error.run, error.lumi, error.title) == (315488, 229, None)
    assert len(items) == 9


def test_invalid_utf8_inside_histo_keeps_the_title_readable(parse, table_1d):
    data = table_1d.to_bytes().replace(b"[0, 0, 0, 0, 0, 0, 2, 3,", b"[0, 0, 0, 0, 0, 0, 2, \xc3\x28,", 1)
    error = only_error(parse(data))
    assert error.code == "bad_encoding" and error.title == table_1d.get(0, "hname")


def test_valid_utf8_titles_are_kept_verbatim(parse, table_1d):
    title = "Résumé_µ_→_wheel"
    record = parse(table_1d.copy().set(0, "hname", title).to_bytes())[0]
    assert record.title == title


@pytest.mark.parametrize("block_size", [64, 1 << 20])
def test_lines_over_the_limit_are_line_too_long(parse, count, sample_1d, block_size):
    parser = LegacyCsvParser(max_line_bytes=300, block_size=block_size)
    items = parse(sample_1d, parser=parser)
    assert [(e.entry, e.line, e.code) for e in items] == [(n, n + 1, "line_too_long") for n in range(1, 10)]
    assert {(e.run, e.lumi) for e in items} == {(315488, 229)}
    assert items[0].title == "Summary_ClusterStoNCorr__OnTrack__TEC__MINUS__wheel__7"
    assert count(sample_1d, parser=parser) == 9


def test_an_over_long_line_does_not_disturb_its_neighbours(parse, table_1d):
    table = table_1d.copy().set(4, "histo", "[" + ", ".join(["1"] * 5000) + "]")
    limit = len(table_1d.to_bytes().split(b"\n")[5]) + 1000
    for block_size in (100, 4096, 1 << 20):
        items = parse(table.to_bytes(), parser=LegacyCsvParser(max_line_bytes=limit, block_size=block_size))
        assert [getattr(item, "code", None) for item in items] == [None] * 4 + ["line_too_long"] + [None] * 4
        assert items[4].message.startswith("the line is ")


def test_an_over_long_header_is_bad_header(parse, sample_1d):
    with pytest.raises(ParseError) as caught:
        parse(sample_1d, parser=LegacyCsvParser(max_line_bytes=50))
    assert (caught.value.code, caught.value.line) == ("bad_header", 1)


def test_keys_the_csv_cannot_hold_are_refused(sample_1d):
    parser = LegacyCsvParser()
    with sample_1d.open("rb") as stream, pytest.raises(ValueError):
        parser.count(stream, key=ParserKey("csv", 1, "run"))
    with sample_1d.open("rb") as stream, pytest.raises(ValueError):
        list(parser.parse(stream, key=ParserKey("csv", 3, "lum")))
