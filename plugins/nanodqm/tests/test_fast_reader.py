"""The vectorised basket reader: identity with uproot (scenario 30), varying object sizes, validation and fallback."""

from __future__ import annotations

import struct
from itertools import zip_longest

import numpy as np
import pytest
import uproot

from sciplane import EntryError, HistogramRecord, ParserKey
from sciplane_nanodqm.decoded import DecodedME, Problem
from sciplane_nanodqm.fastbaskets import LayoutMemo, decode_basket
from sciplane_nanodqm.indices import IndexRow
from sciplane_nanodqm.metypes import ME_TYPES
from sciplane_nanodqm.parser import DqmioParser
from sciplane_nanodqm.records import build_item
from sciplane_nanodqm.streamer import walk_entry
from sciplane_nanodqm.uprootobjects import decode_object

LUM_1D = ParserKey("nanodqm", 1, "lum")
TITLE_1D = "PixelPhase1/Tracks/PXBarrel/charge_PXLayer_{}"
TITLE_2D = "PixelPhase1/Tracks/PXBarrel/clusterposition_zphi_ontrack_PXLayer_{}"


def test_fast_equals_uproot_without_fallback(sample, key, same_record):
    """Scenario 30: ``reader="fast"`` reads every ME of both fixtures (no entry needs uproot) and gives records
    identical to uproot's object path.  The two parses are compared as streams to keep one 2D ME in memory."""
    with sample.open("rb") as fast_stream, sample.open("rb") as uproot_stream:
        fast = DqmioParser(reader="fast").parse(fast_stream, key=key)
        reference = DqmioParser(reader="uproot").parse(uproot_stream, key=key)
        compared = 0
        for mine, theirs in zip_longest(fast, reference):
            assert not isinstance(mine, EntryError), mine
            same_record(mine, theirs)
            compared += 1
    with sample.open("rb") as stream:
        assert compared == DqmioParser(reader="fast").count(stream, key=key)


def test_reader_option_is_checked():
    with pytest.raises(ValueError):
        DqmioParser(reader="numba")


# --- entries of varying size, built from the small fixture's objects ---------------------------------------------

# Byte positions inside the small fixture's TBranchObject entries (objects named "h"/"h2", class header 6 bytes):
# the byte counts that enclose the object's name and the x axis's name, and where those names start.
LAYOUT_FACTS = {
    "TH1Fs": {"counts_to_name": (6, 12, 18), "name": (34, b"\x01h"),
              "counts_to_axis_name": (6, 12, 78, 84), "axis_name": (100, b"\x05xaxis")},
    "TH2Fs": {"counts_to_name": (6, 12, 18, 24), "name": (40, b"\x02h2"),
              "counts_to_axis_name": (6, 12, 18, 86, 92), "axis_name": (108, b"\x05xaxis")},
}


def _grow_string(entry: bytes, counts: tuple[int, ...], string: tuple[int, bytes], extra: bytes) -> bytes:
    """The entry with ``extra`` appended to a short ROOT string, and every enclosing byte count increased to match."""
    at, old = string
    assert entry[at:at + len(old)] == old, "the fixture's layout changed; update LAYOUT_FACTS"
    grown = bytearray(entry[:at] + bytes([len(old) - 1 + len(extra)]) + old[1:] + extra + entry[at + len(old):])
    for position in counts:
        struct.pack_into(">I", grown, position, struct.unpack_from(">I", grown, position)[0] + len(extra))
    return bytes(grown)


def _fixture_entries(small, tree: str, count: int) -> tuple[list[bytes], list[DecodedME]]:
    with uproot.open(small) as f:
        branch = f[tree]["Value"]
        basket = branch.basket(0)
        offsets = basket.byte_offsets
        entries = [basket.data[offsets[i]:offsets[i + 1]].tobytes() for i in range(count)]
        objects = branch.array(entry_start=0, entry_stop=count, library="np")
    me_type = ME_TYPES[3 if tree == "TH1Fs" else 6]
    return entries, [decode_object(obj, me_type) for obj in objects]


def _basket(entries: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.cumsum([0] + [len(e) for e in entries])
    return np.frombuffer(b"".join(entries), dtype=np.uint8), offsets


def _assert_same_me(got: DecodedME, expected: DecodedME) -> None:
    assert isinstance(got, DecodedME), got
    assert (got.entries, got.x, got.y) == (expected.entries, expected.x, expected.y)
    assert got.data.dtype == expected.data.dtype and np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("tree", ["TH1Fs", "TH2Fs"])
def test_varying_sizes_and_layouts_in_one_basket(small, tree):
    """Three layouts interleaved: the original size, a longer object name, and a longer axis name of the same
    length as the renamed one but with different byte counts.  Groups end up unevenly spaced (the gather path)
    and same-length entries of another structure must not be decoded with the wrong layout."""
    facts = LAYOUT_FACTS[tree]
    originals, expected = _fixture_entries(small, tree, 8)
    pattern = "ABACABCA"
    built = []
    for entry, kind in zip(originals, pattern, strict=True):
        if kind == "B":
            entry = _grow_string(entry, facts["counts_to_name"], facts["name"], b"_renamed")
        elif kind == "C":
            entry = _grow_string(entry, facts["counts_to_axis_name"], facts["axis_name"], b"_renamed")
        built.append(entry)
    assert len({len(e) for e in built}) == 2, "B and C must have equal lengths"
    data, offsets = _basket(built)
    results = decode_basket(data, offsets, ME_TYPES[3 if tree == "TH1Fs" else 6])
    for got, want in zip(results, expected, strict=True):
        _assert_same_me(got, want)


@pytest.mark.parametrize("tree", ["TH1Fs", "TH2Fs"])
def test_variable_width_x_axis(small, tree):
    """An x axis with ``fXbins`` (inserted into a fixture entry) gives ``x_edges``; its neighbour keeps None."""
    facts = LAYOUT_FACTS[tree]
    me_type = ME_TYPES[3 if tree == "TH1Fs" else 6]
    originals, expected = _fixture_entries(small, tree, 2)
    axis = walk_entry(np.frombuffer(originals[0], dtype=np.uint8), 0, len(originals[0]), me_type).axes[0]
    x = expected[0].x
    edges = x.low + (x.high - x.low) * np.linspace(0.0, 1.0, x.nbins + 1) ** 2
    count_at = axis.limits_at + 16  # fXbins's count follows fXmin and fXmax
    payload = struct.pack(">i", len(edges)) + edges.astype(">f8").tobytes()
    grown = bytearray(originals[0][:count_at] + payload + originals[0][count_at + 4:])
    for position in facts["counts_to_axis_name"][:-1]:  # the object, TH2 if any, TH1 and the x TAxis
        struct.pack_into(">I", grown, position, struct.unpack_from(">I", grown, position)[0] + len(payload) - 4)
    varying, regular = decode_basket(*_basket([bytes(grown), originals[1]]), me_type)
    assert varying.x.edges.dtype == np.float64 and np.array_equal(varying.x.edges, edges)
    assert np.array_equal(varying.data, expected[0].data) and varying.entries == expected[0].entries
    _assert_same_me(regular, expected[1])
    row = IndexRow(357538, 1, me_type, 0, 0, 0)
    record = build_item(1, row, f"{tree}[0]", "some/title", varying)
    assert isinstance(record, HistogramRecord) and np.array_equal(record.x_edges, edges) and record.y_edges is None


def test_layout_memo_serves_later_baskets(small):
    """A layout learnt in one basket decodes the next basket without a new walk, with identical results."""
    originals, expected = _fixture_entries(small, "TH1Fs", 6)
    memo = LayoutMemo()
    first = decode_basket(*_basket(originals[:3]), ME_TYPES[3], memo)
    second = decode_basket(*_basket(originals[3:]), ME_TYPES[3], memo)
    for got, want in zip(first + second, expected, strict=True):
        _assert_same_me(got, want)


def test_validation_rejects_inconsistent_entries(small):
    """Each check of spec §5.6 makes the entry a Problem while its neighbours still decode."""
    originals, expected = _fixture_entries(small, "TH1Fs", 5)
    th1 = ME_TYPES[3]
    layout = walk_entry(np.frombuffer(originals[0], dtype=np.uint8), 0, len(originals[0]), th1)
    wrong_header = originals[1][:5] + b"\x01" + originals[1][6:]  # the NUL after the class name
    padded = originals[2] + b"\x00"  # the entry is longer than the object's byte count says
    nbins_at = layout.axes[0].limits_at - 4
    wrong_bins = bytearray(originals[3])
    struct.pack_into(">i", wrong_bins, nbins_at, 99)  # fN 102 no longer matches the x axis
    data, offsets = _basket([originals[0], wrong_header, padded, bytes(wrong_bins), originals[4]])
    results = decode_basket(data, offsets, th1)
    _assert_same_me(results[0], expected[0])
    _assert_same_me(results[4], expected[4])
    reasons = [r.reason for r in results[1:4]]
    assert all(isinstance(r, Problem) and r.code == "unreadable_object" for r in results[1:4])
    assert "class header" in reasons[0] and "byte count" in reasons[1] and "fN" in reasons[2]


@pytest.mark.parametrize("tree", ["TH1Fs", "TH2Fs"])
def test_damaged_entries_never_raise(small, tree):
    """Flipped bytes and truncations anywhere in an entry give a Problem or a decoded ME, never an exception
    (the walk reads only inside the entry and its blocks)."""
    originals, _ = _fixture_entries(small, tree, 1)
    entry = originals[0]
    me_type = ME_TYPES[3 if tree == "TH1Fs" else 6]
    random = np.random.default_rng(7)
    damaged = [entry[:cut] for cut in (1, 5, 6, 40, len(entry) // 2, len(entry) - 1)]
    for position in random.integers(0, min(len(entry), 600), size=300).tolist():
        flipped = bytearray(entry)
        flipped[position] ^= int(random.integers(1, 256))
        damaged.append(bytes(flipped))
    results = decode_basket(*_basket(damaged), me_type)
    assert all(isinstance(result, (Problem, DecodedME)) for result in results)
    assert all(isinstance(result, Problem) for result in results[:6])


def test_wrong_class_is_not_decodable(small):
    originals, _ = _fixture_entries(small, "TH1Fs", 1)
    (result,) = decode_basket(*_basket(originals), ME_TYPES[5])  # a TH1F in the TH1Ds tree
    assert isinstance(result, Problem) and "TH1D" in result.reason


# --- fallback on a real file with a corrupted entry ---------------------------------------------------------------


def _parse(path, key, reader):
    with path.open("rb") as stream:
        return list(DqmioParser(reader=reader).parse(stream, key=key))


@pytest.mark.parametrize(("tree", "index", "parser_key", "title"), [
    ("TH1Fs", 4, LUM_1D, TITLE_1D.format(2)),
    ("TH2Fs", 3, ParserKey("nanodqm", 2, "lum"), TITLE_2D.format(2)),
])
def test_corrupted_header_falls_back_to_uproot(small, root_files, same_record, tree, index, parser_key, title):
    """The NUL after an entry's class name is checked by the fast reader but skipped by uproot: "auto" falls back
    and yields uproot's record, "fast" reports the entry as unreadable and goes on."""
    with uproot.open(small) as f:
        start = int(f[tree]["Value"].basket(0).byte_offsets[index])

    def break_header(raw: bytearray) -> None:
        raw[start + len(tree)] = 1  # header is length byte + class name + NUL: "\x04TH1F\x00"

    broken = root_files.rewrite_basket(small, "broken.root", tree, 0, break_header)
    reference = _parse(small, parser_key, "uproot")
    for reader in ("auto", "uproot"):
        items = _parse(broken, parser_key, reader)
        assert len(items) == len(reference)
        for mine, theirs in zip(items, reference, strict=True):
            same_record(mine, theirs)
    fast = _parse(broken, parser_key, "fast")
    error = fast[1]  # lumi 1's second ME is the corrupted entry
    assert isinstance(error, EntryError) and error.code == "unreadable_object"
    assert (error.entry, error.run, error.lumi, error.title) == (2, 357538, 1, title)
    assert error.message.startswith(f"{tree}[{index}]: ")
    assert all(isinstance(item, HistogramRecord) for item in fast[:1] + fast[2:])
    for mine, theirs in zip(fast[:1] + fast[2:], reference[:1] + reference[2:], strict=True):
        same_record(mine, theirs)


def test_bins_inconsistent_with_axis(small, root_files):
    """An x axis that disagrees with the bin array: the fast reader refuses it, uproot reads it, and the record
    check reports ``bad_length`` with the ME's coordinates."""
    with uproot.open(small) as f:
        basket = f["TH1Fs"]["Value"].basket(0)
        start, stop = (int(v) for v in basket.byte_offsets[5:7])
        layout = walk_entry(basket.data, start, stop, ME_TYPES[3])

    def shrink_axis(raw: bytearray) -> None:
        struct.pack_into(">i", raw, start + layout.axes[0].limits_at - 4, 99)

    broken = root_files.rewrite_basket(small, "bins.root", "TH1Fs", 0, shrink_axis)
    for reader in ("auto", "fast"):
        error = _parse(broken, LUM_1D, reader)[2]  # TH1Fs[5] is lumi 1's third ME
        assert isinstance(error, EntryError)
        assert (error.entry, error.lumi, error.title) == (3, 1, TITLE_1D.format(3))
        assert error.message.startswith("TH1Fs[5]: ")
        assert error.code == ("bad_length" if reader == "auto" else "unreadable_object")
