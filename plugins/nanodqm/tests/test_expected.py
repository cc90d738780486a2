"""The expected parse results of spec §5.8 and the fixtures README, from files and from ``io.BytesIO`` (scenario 57)."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import uproot

from sciplane_nanodqm.parser import DqmioParser

PREFIX = "PixelPhase1/Tracks/PXBarrel/"
TH1_TITLE = PREFIX + "charge_PXLayer_{}"
TH2_TITLE = PREFIX + "clusterposition_zphi_ontrack_PXLayer_{}"
TH1_AXES = (100, 0.0, 80000.0, None, None, None)
TH2_AXES = (30, -60.0, 60.0, 20, -3.2, 3.2)
BENCH_TH2_AXES = (300, -60.0, 60.0, 200, -3.2, 3.2)

# (dimensionality, granularity): (count = records, lumis in order of first appearance, total of data, digest)
SMALL = {
    (1, "lum"): (12, [1, 2, 4, 5], 5991, "78e2142753f66c39cc10fe6650858c18fbf8a2f21275bb4354c91085bec80eb6"),
    (2, "lum"): (8, [1, 2, 4, 5], 3948, "2fb562c14e3cf4da8806dafb7cef853b7847e025b2cbba1def669eee50604b5c"),
    (1, "run"): (3, [0], 1495, "fe2167ad87604a14db03f3984f34c71342bbf829163c8d3e7ad7958886366d39"),
    (2, "run"): (2, [0], 984, "3cc16827a4901cb4130c918425d3346aa77de5b7363260f1c8ce32dba6c3a80d"),
}
BENCH_LUMIS = [lumi for lumi in range(1, 201) if lumi != 3]
BENCH = {
    (1, "lum"): (3980, BENCH_LUMIS, 11934647, "16b10acf8a4a45e4aba765d00f8311a8a6dfa1526e14af6155ba5623463e68cc"),
    (2, "lum"): (796, BENCH_LUMIS, 2363180, "e605608652c119d6123981f2fc5f8ea1eb5745ce9b3491d8bc262d5c1618a146"),
    (1, "run"): (20, [0], 59965, "5d9f550bf368d0623b142d4dab83bf0e789cbb2babc805d3ceb3ce54c5d99e42"),
    (2, "run"): (4, [0], 11870, "9bc44322a988cf69a41ab5a7b0eecd3f4bb5873de6f4b8d466358cedd9d81563"),
}

# sum(data) per record of the small file, in parser order (fixtures README)
SMALL_SUMS = {
    (1, "lum"): [498, 500, 500, 499, 500, 500, 500, 499, 500, 499, 498, 498],
    (2, "lum"): [495, 494, 493, 492, 497, 489, 492, 496],
    (1, "run"): [496, 499, 500],
    (2, "run"): [492, 492],
}

# First record per key: (tree, tree entry, title, lumi, shape, sum, wsum, maximum and where, or None if not unique)
SMALL_FIRST = {
    (1, "lum"): ("TH1Fs", 3, TH1_TITLE.format(1), 1, (100,), 498, 15596, (30, (29,))),
    (2, "lum"): ("TH2Fs", 2, TH2_TITLE.format(1), 1, (20, 30), 495, 147377, (9, (10, 14))),
    (1, "run"): ("TH1Fs", 0, TH1_TITLE.format(1), 0, (100,), 496, 15167, (28, (33,))),
    (2, "run"): ("TH2Fs", 0, TH2_TITLE.format(1), 0, (20, 30), 492, 150561, (8, (8, 15))),
}
BENCH_FIRST = {
    (1, "lum"): ("TH1Fs", 20, TH1_TITLE.format(1), 1, (100,), 2991, 91008, (118, (32,))),
    (2, "lum"): ("TH2Fs", 4, TH2_TITLE.format(1), 1, (200, 300), 2972, 89039775, None),
    (1, "run"): ("TH1Fs", 0, TH1_TITLE.format(1), 0, (100,), 2992, 91879, None),
    (2, "run"): ("TH2Fs", 0, TH2_TITLE.format(1), 0, (200, 300), 2971, 89788842, None),
}


def _expected(sample):
    return (SMALL, SMALL_FIRST, 500) if sample.name.startswith("small") else (BENCH, BENCH_FIRST, 3000)


@pytest.mark.parametrize("in_memory", [False, True], ids=["file", "bytesio"])
def test_tables(sample, key, in_memory, summary):
    """Count = records, lumis, total, digest, and the per-record invariants of both fixtures."""
    table, _, entries = _expected(sample)
    count, lumis, total, digest = table[key[1:]]
    result = summary(sample, key, in_memory=in_memory)
    assert result.errors == []
    assert result.count == len(result.records) == count
    assert [r.entry for r in result.records] == list(range(1, count + 1))
    assert list(dict.fromkeys(r.lumi for r in result.records)) == lumis
    assert sum(r.total for r in result.records) == total
    assert result.digest == digest
    assert {r.run for r in result.records} == {357538 if sample.name.startswith("small") else 367094}
    assert {r.entries for r in result.records} == {entries}
    assert {r.dtype for r in result.records} == {np.dtype(np.float32).str}
    assert not any(r.has_edges for r in result.records)
    assert 3 not in {r.lumi for r in result.records}, "lumi 3 holds only the Type 1000 marker"
    expected_type = 3 if key.dimensionality == 1 else 6
    assert {r.type_code for r in result.records} == {expected_type}


def test_small_titles_axes_and_sums(small, key, summary):
    result = summary(small, key)
    assert [r.total for r in result.records] == SMALL_SUMS[key[1:]]
    per_lumi, template, axes = (3, TH1_TITLE, TH1_AXES) if key.dimensionality == 1 else (2, TH2_TITLE, TH2_AXES)
    assert [r.title for r in result.records] == [template.format(i % per_lumi + 1) for i in range(len(result.records))]
    assert {r.axes for r in result.records} == {axes}


def test_bench_titles_and_axes(bench, key, summary):
    result = summary(bench, key)
    per_lumi, template = (20, TH1_TITLE) if key.dimensionality == 1 else (4, TH2_TITLE)
    assert [r.title for r in result.records] == [template.format(i % per_lumi + 1) for i in range(len(result.records))]
    assert {r.axes for r in result.records} == {TH1_AXES if key.dimensionality == 1 else BENCH_TH2_AXES}


def test_first_records(sample, key, summary):
    """The first record of each key, and that it is the tree entry the README names (checked against uproot)."""
    _, first, _ = _expected(sample)
    tree, index, title, lumi, shape, total, weighted, maximum = first[key[1:]]
    record = summary(sample, key).records[0]
    assert (record.entry, record.title, record.lumi, record.shape) == (1, title, lumi, shape)
    assert (record.total, record.wsum) == (total, weighted)
    if maximum is not None:
        assert (record.maximum, record.argmax, record.unique_max) == (maximum[0], maximum[1], True)
    with uproot.open(sample) as f:
        (obj,) = f[tree]["Value"].array(entry_start=index, entry_stop=index + 1, library="np")
    values = obj.values().T if key.dimensionality == 2 else obj.values()
    assert (float(values.sum()), float(np.dot(np.arange(values.size), values.ravel()))) == (total, weighted)


def test_the_callers_stream_stays_usable(small, key):
    """The service counts, seeks back to 0 and parses on one stream: the parser must not close it."""
    parser = DqmioParser()
    with small.open("rb") as stream:
        count = parser.count(stream, key=key)
        stream.seek(0)
        assert len(list(parser.parse(stream, key=key))) == count == SMALL[key[1:]][0]
        assert not stream.closed


def test_importing_the_plugin_does_not_import_root():
    code = ("import sys, sciplane_nanodqm.plugin as p; p.register_parsers(); "
            "assert 'ROOT' not in sys.modules and 'cppyy' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registration():
    from sciplane_nanodqm.plugin import register_parsers

    specs = register_parsers()
    assert sorted((s.filetype, s.dimensionality, s.granularity) for s in specs) == [
        ("nanodqm", 1, "lum"), ("nanodqm", 1, "run"), ("nanodqm", 2, "lum"), ("nanodqm", 2, "run")]
    assert len({id(s.parser) for s in specs}) == 1 and specs[0].parser.reader == "auto"
