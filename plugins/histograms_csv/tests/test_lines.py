"""The physical format and the entry sequence (spec sections 4.2 and 4.7): line endings, BOM, blank
lines, block boundaries, counting and resuming with ``start``."""

from __future__ import annotations

import pytest

from sciplane import EntryError, HistogramRecord, ParserKey
from sciplane_histograms_csv.parser import LegacyCsvParser

KEY_1D = ParserKey("csv", 1, "lum")
KEY_2D = ParserKey("csv", 2, "lum")
BOM = b"\xef\xbb\xbf"


def test_crlf_line_endings(parse, count, sample_1d, same_items):
    data = sample_1d.read_bytes()
    assert b"\r" not in data
    crlf = data.replace(b"\n", b"\r\n")
    assert count(crlf) == 9
    assert same_items(parse(crlf), parse(data))


def test_a_bom_is_ignored(parse, count, sample_1d, same_items):
    data = BOM + sample_1d.read_bytes()
    assert count(data) == 9
    assert same_items(parse(data), parse(sample_1d))


def test_the_last_line_may_lack_its_newline(parse, count, sample_2d, same_items):
    data = sample_2d.read_bytes()
    assert data.endswith(b"\n")
    assert count(data[:-1], KEY_2D) == 9
    assert same_items(parse(data[:-1], KEY_2D), parse(data, KEY_2D))


def test_blank_lines_are_not_entries_but_keep_their_line_numbers(parse, count, sample_1d):
    header, *rows = sample_1d.read_bytes().splitlines()
    data = b"\n".join([header, b"", rows[0], b"   ", b"\t\r", *rows[1:5], b"", b"", *rows[5:], b" "]) + b"\n\n"
    assert count(data) == 9
    items = parse(data)
    assert [item.entry for item in items] == list(range(1, 10))
    assert [item.line for item in items] == [3, 6, 7, 8, 9, 12, 13, 14, 15]


def test_blank_lines_before_the_header(parse, sample_1d):
    items = parse(b"\n  \r\n" + sample_1d.read_bytes())
    assert [(item.entry, item.line) for item in items] == [(n, n + 3) for n in range(1, 10)]


@pytest.mark.parametrize("block_size", [1, 2, 3, 7, 64, 1000, 4096])
@pytest.mark.parametrize("dressing", ["plain", "crlf+bom+blank lines"])
def test_block_boundaries_change_nothing(parse, count, sample_1d, sample_2d, same_items, block_size, dressing):
    parser = LegacyCsvParser(block_size=block_size)
    for path, key in ((sample_1d, KEY_1D), (sample_2d, KEY_2D)):
        data = path.read_bytes()
        if dressing != "plain":
            data = BOM + data.replace(b"\n", b"\r\n\r\n  \r\n")[:-3]
        assert count(data, key, parser=parser) == 9
        assert same_items(parse(data, key, parser=parser), parse(data, key))


@pytest.fixture
def mixed_file(table_1d) -> bytes:
    """Rows of every kind: records, errors, run-level and 2D rows that are skipped, blank lines."""
    table = table_1d.copy()
    table.rows = [list(table_1d.rows[n % 9]) for n in range(30)]
    for n in range(30):
        table.set(n, "fromlumi", str(n + 1))
    table.set(3, "histo", "[1, 2")
    table.set(8, "fromlumi", "0")
    table.set(12, "metype", "6")
    table.set(17, "Xbins", "99")
    table.set(21, "fromrun", "-")
    lines = table.to_bytes().split(b"\n")
    for position in (25, 14, 6, 2):
        lines.insert(position, b"  ")
    return b"\n".join(lines)


def test_the_mixed_file_has_every_kind_of_row(parse, count, mixed_file):
    items = parse(mixed_file)
    assert count(mixed_file) == 30
    assert [(e.entry, e.code) for e in items if isinstance(e, EntryError)] == [
        (4, "bad_json"), (18, "bad_length"), (22, "bad_value")]
    assert sum(isinstance(item, HistogramRecord) for item in items) == 25
    assert {9, 13}.isdisjoint(item.entry for item in items)


def test_start_skips_exactly_the_first_entries(parse, count, mixed_file, same_items):
    full = parse(mixed_file)
    for start in range(count(mixed_file) + 2):
        expected = [item for item in full if item.entry > start]
        assert same_items(parse(mixed_file, start=start), expected), start


def test_start_never_decodes_the_skipped_rows(parse, table_1d):
    # Undecodable bytes and broken lists in the skipped rows cannot matter: they are not read.
    data = table_1d.to_bytes().split(b"\n")
    data[1] = b"\xff\xfe," + data[1]
    data[2] = data[2].replace(b"[", b"[[")
    items = parse(b"\n".join(data), start=2)
    assert [item.entry for item in items] == list(range(3, 10))
    assert all(isinstance(item, HistogramRecord) for item in items)


def test_count_only_looks_for_lines(count):
    data = b"anything at all\nnot,a,row\n\n   \n\xff\xfe\n\"unclosed\n"
    assert count(data) == 3
    assert count(data, KEY_2D) == 3


def test_the_parser_keeps_no_state_between_calls(parse, sample_1d, sample_2d, same_items):
    parser = LegacyCsvParser()
    first = parse(sample_1d, parser=parser)
    parse(sample_2d, KEY_2D, parser=parser)
    assert same_items(parse(sample_1d, parser=parser), first)


def test_the_stream_is_read_from_its_start(sample_1d, same_items, parse):
    parser = LegacyCsvParser()
    with sample_1d.open("rb") as stream:
        stream.seek(100)
        assert parser.count(stream, key=KEY_1D) == 9
        assert same_items(list(parser.parse(stream, key=KEY_1D)), parse(sample_1d))
