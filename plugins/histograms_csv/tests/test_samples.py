"""The expected parse of the two sample files (spec section 4.9 and the fixtures README).

Every check runs twice: on the file as the service opens it, and on an in-memory ``io.BytesIO``
copy with no app, database or settings anywhere, which shows the parser is pure (spec scenario 57).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from sciplane import HistogramRecord, ParserKey

KEY_1D = ParserKey("csv", 1, "lum")
KEY_2D = ParserKey("csv", 2, "lum")

# entry: (title, entries, x_min, x_max, sum(data), overflow dropped, wsum, maximum, index of the maximum)
TABLE_1D = {
    1: ("Summary_ClusterStoNCorr__OnTrack__TEC__MINUS__wheel__7", 78001, -0.5, 99.5, 75986, 2015, 2099225, 4505, 19),
    2: ("NormalizedHitResiduals_TEC__wheel__8", 24381, -5, 5, 24381, 0, 1206810, 1080, 49),
    3: ("Summary_ClusterStoNCorr__OnTrack__TEC__MINUS__wheel__8", 77101, -0.5, 99.5, 75037, 2064, 2093304, 4384, 19),
    4: ("NormalizedHitResiduals_TEC__wheel__9", 18617, -5, 5, 18617, 0, 920572, 805, 49),
    5: ("Summary_ClusterStoNCorr__OnTrack__TEC__MINUS__wheel__9", 52529, -0.5, 99.5, 51014, 1515, 1486331, 2799, 21),
    6: ("NormalizedHitResiduals_TEC__wheel__1", 48695, -5, 5, 48695, 0, 2412227, 2217, 49),
    7: ("Summary_ClusterStoNCorr__OnTrack__TEC__PLUS__wheel__1", 208086, -0.5, 99.5, 201131, 6955, 5541774, 13073, 18),
    8: ("NormalizedHitResiduals_TEC__wheel__2", 48363, -5, 5, 48363, 0, 2391633, 2186, 51),
    9: ("Summary_ClusterStoNCorr__OnTrack__TEC__PLUS__wheel__2", 199206, -0.5, 99.5, 192924, 6282, 5309435, 12537, 19),
}
DIGEST_1D = "29e87f58f7a9f6b4be3eb5e13ab5afee0ad2ebc7df60ed35e637363ea66a999a"

# entry: (title suffix, entries, (x_bin, x_min, x_max), (y_bin, y_min, y_max), histo length, wsum, maximum, (iy, ix))
TABLE_2D = {
    1: ("TECP_W2", 137167, (16, 0, 16), (80, 0, 80), 1476, 36944297, 1102, (23, 1)),
    2: ("TECP_W3", 134561, (16, 0, 16), (80, 0, 80), 1476, 37656428, 1020, (17, 1)),
    3: ("TECP_W4", 92505, (13, 3, 16), (80, 0, 80), 1230, 24031570, 780, (17, 0)),
    4: ("TECP_W5", 90968, (13, 3, 16), (80, 0, 80), 1230, 24076919, 735, (17, 0)),
    5: ("TECP_W6", 86618, (13, 3, 16), (80, 0, 80), 1230, 23745147, 687, (17, 0)),
    6: ("TECP_W7", 56971, (10, 6, 16), (80, 0, 80), 984, 14429471, 473, (38, 0)),
    7: ("TECP_W8", 56502, (10, 6, 16), (80, 0, 80), 984, 14039885, 408, (38, 0)),
    8: ("TECP_W9", 40314, (8, 8, 16), (80, 0, 80), 820, 8607373, 252, (22, 2)),
    9: ("TIB_L1", 443843, (12, -6, 6), (62, -31, 31), 896, 161760784, 1329, (48, 5)),
}
DIGEST_2D = "b087abebea7b0412774a336f8d6362724ce6629c986290b0f4f7d1832abf3bed"


@pytest.fixture(params=["file", "bytesio"])
def source(request):
    """A sample file as the service hands it over (a path opened per call) or as in-memory bytes."""
    return lambda path: path if request.param == "file" else path.read_bytes()


@pytest.fixture
def records_1d(parse, source, sample_1d) -> list[HistogramRecord]:
    return parse(source(sample_1d), KEY_1D)


@pytest.fixture
def records_2d(parse, source, sample_2d) -> list[HistogramRecord]:
    return parse(source(sample_2d), KEY_2D)


@pytest.mark.parametrize("key", [KEY_1D, KEY_2D])
def test_both_samples_count_nine_rows_for_either_key(count, source, sample_1d, sample_2d, key):
    assert count(source(sample_1d), key) == 9
    assert count(source(sample_2d), key) == 9


def test_rows_of_the_other_dimensionality_yield_nothing(parse, source, sample_1d, sample_2d):
    assert parse(source(sample_1d), KEY_2D) == []
    assert parse(source(sample_2d), KEY_1D) == []


def test_1d_sample_summary(records_1d, digest):
    assert [(r.entry, r.line) for r in records_1d] == [(n, n + 1) for n in range(1, 10)]
    assert all(isinstance(r, HistogramRecord) for r in records_1d)
    assert {(r.run, r.lumi, r.type_code, r.x_bin) for r in records_1d} == {(315488, 229, 3, 100)}
    assert all(r.y_bin is None and r.y_min is None and r.y_max is None for r in records_1d)
    assert all(r.x_edges is None and r.y_edges is None for r in records_1d)
    assert len({r.title for r in records_1d}) == 9
    assert sum(r.data.sum() for r in records_1d) == 736148
    assert digest(records_1d) == DIGEST_1D


def test_1d_records_match_the_table(records_1d, table_1d, wsum):
    for record in records_1d:
        title, entries, x_min, x_max, total, overflow, weighted, maximum, at = TABLE_1D[record.entry]
        raw = json.loads(table_1d.get(record.entry - 1, "histo"))
        assert (record.title, record.entries, record.x_min, record.x_max) == (title, entries, x_min, x_max)
        assert record.data.dtype == np.float64 and record.data.flags.c_contiguous and record.data.shape == (100,)
        assert record.data.sum() == total
        assert (raw[0], raw[-1]) == (0, overflow) and entries - total == overflow
        assert wsum(record.data) == weighted
        assert record.data.max() == maximum and int(np.argmax(record.data)) == at
        assert np.count_nonzero(record.data == maximum) == 1


def test_1d_first_record_values(records_1d):
    first = records_1d[0]
    assert first.data[:10].tolist() == [0, 0, 0, 0, 0, 2, 3, 0, 5, 21]
    assert first.data[99] == 48
    assert isinstance(first.entries, int) and isinstance(first.x_bin, int)
    assert isinstance(first.x_min, float) and isinstance(first.x_max, float)


def test_2d_sample_summary(records_2d, digest):
    assert [(r.entry, r.line) for r in records_2d] == [(n, n + 1) for n in range(1, 10)]
    assert {(r.run, r.lumi, r.type_code) for r in records_2d} == {(315488, 904, 11)}
    shapes = [r.data.shape for r in records_2d]
    assert shapes == [(80, 16)] * 2 + [(80, 13)] * 3 + [(80, 10)] * 2 + [(80, 8), (62, 12)]
    assert sum(r.data.sum() for r in records_2d) == 1139449
    assert digest(records_2d) == DIGEST_2D


def test_2d_records_match_the_table(records_2d, table_2d, wsum):
    for record in records_2d:
        suffix, entries, x_axis, y_axis, length, weighted, maximum, at = TABLE_2D[record.entry]
        assert record.title == f"TkHMap_NumberOfOnTrackCluster_{suffix}"
        assert record.entries == entries
        assert (record.x_bin, record.x_min, record.x_max) == x_axis
        assert (record.y_bin, record.y_min, record.y_max) == y_axis
        assert len(json.loads(table_2d.get(record.entry - 1, "histo"))) == length
        assert record.data.dtype == np.float64 and record.data.flags.c_contiguous
        assert record.data.shape == (record.y_bin, record.x_bin)
        assert record.data.sum() == entries  # every flow cell of this sample is 0
        assert wsum(record.data) == weighted
        assert record.data.max() == maximum and np.count_nonzero(record.data == maximum) == 1
        assert np.unravel_index(np.argmax(record.data), record.data.shape) == at


def test_2d_first_record_is_y_by_x_without_flows(records_2d):
    first = records_2d[0]
    assert first.data[0][:4].tolist() == [960, 981, 0, 769]
    assert first.data[23][1] == 1102
