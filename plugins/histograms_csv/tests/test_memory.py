"""Bounded memory (spec sections 4.7 and 12, P2): what the parser holds does not grow with the file.

The synthetic 2D files repeat one row of the largest real binning (300 x 200 bins with flows).  The
values stay below 256 so that the Python integers orjson creates are CPython's cached ones: the
traced peak then shows the parser's buffers rather than transient per-number objects.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from sciplane import HistogramRecord, ParserKey
from sciplane_histograms_csv.parser import MIB, LegacyCsvParser

KEY_2D = ParserKey("csv", 2, "lum")
X_BINS, Y_BINS = 300, 200
HEADER = "fromrun,fromlumi,hname,fromrun,fromlumi,metype,hname,histo,entries,Xmax,Xmin,Xbins,Ymax,Ymin,Ybins"
VALUES = np.random.default_rng(5).integers(0, 200, (Y_BINS + 2) * (X_BINS + 2))


@pytest.fixture(scope="module")
def synthetic_2d(tmp_path_factory):
    """A function giving the path of a synthetic 2D file of ``rows`` rows (~0.27 MB each)."""
    folder = tmp_path_factory.mktemp("big")
    histo = "[" + ", ".join(map(str, VALUES.tolist())) + "]"

    def synthetic_2d(rows: int):
        path = folder / f"synthetic_2D_{rows}.csv"
        if not path.exists():
            with path.open("w", encoding="ascii", newline="\n") as out:
                out.write(HEADER + "\n")
                for n in range(rows):
                    title, lumi = f"PixelMap_{n % 4}", 1 + n // 4
                    out.write(f'367094,{lumi},{title},367094,{lumi},6,{title},"{histo}",{VALUES.sum()},'
                              f"60.0,-60.0,{X_BINS},3.2,-3.2,{Y_BINS}\n")
        return path

    return synthetic_2d


def traced_peak(action) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def parse_all(path) -> None:
    """Parse the file as the ingest job would: each record is looked at, then let go."""
    entries = []
    with path.open("rb") as stream:
        for item in LegacyCsvParser().parse(stream, key=KEY_2D):
            assert isinstance(item, HistogramRecord) and item.data.shape == (Y_BINS, X_BINS)
            entries.append(item.entry)
    assert entries == list(range(1, len(entries) + 1)) and entries


def test_the_parse_peak_does_not_grow_with_the_file(synthetic_2d):
    small, large = synthetic_2d(16), synthetic_2d(96)
    assert large.stat().st_size > 25_000_000
    small_peak = traced_peak(lambda: parse_all(small))
    large_peak = traced_peak(lambda: parse_all(large))
    # One block, one line and its decoded list and arrays: a few MB, whatever the file's length.
    assert large_peak < 1.1 * small_peak
    assert large_peak < 10_000_000 < large.stat().st_size / 2


def test_the_bins_of_the_last_record(synthetic_2d):
    with synthetic_2d(16).open("rb") as stream:
        *_, last = LegacyCsvParser().parse(stream, key=KEY_2D)
    np.testing.assert_array_equal(last.data, VALUES.reshape(Y_BINS + 2, X_BINS + 2)[1:-1, 1:-1])


def test_counting_and_skipping_hold_about_one_block(synthetic_2d):
    rows = 96
    path = synthetic_2d(rows)
    parser = LegacyCsvParser()

    def count_and_skip():
        with path.open("rb") as stream:
            assert parser.count(stream, key=KEY_2D) == rows
        with path.open("rb") as stream:
            assert list(parser.parse(stream, key=KEY_2D, start=rows)) == []

    # The current block and its pieces, plus the next block while it is being read.
    assert traced_peak(count_and_skip) < 4 * MIB


@pytest.mark.parametrize("separator", [", ", " "])  # the JSON list, and a spelling only the careful path reads
def test_a_row_far_longer_than_its_bins_costs_no_memory_per_value(separator):
    """600,000 values for 100 bins: ``bad_length``, each element checked and dropped, instead of 600,000 Python
    floats and orjson's buffer of twelve times the line."""
    import io
    values = 600_000
    histo = "[" + separator.join(["1.5"] * values) + "]"
    data = (HEADER + "\n" + f'1,1,t,1,1,3,t,"{histo}",1,1,0,100,1,0,1\n').encode()
    parser = LegacyCsvParser()
    tracemalloc.start()
    try:
        (error,) = list(parser.parse(io.BytesIO(data), key=ParserKey("csv", 1, "lum")))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (error.code, error.message) == ("bad_length", f"histo has {values} values; expected 102 (Xbins+2) or "
                                                         "100 (Xbins)")
    assert peak < 8 * len(data), peak  # the read block, the line and its text copies, not objects per value
