"""The core's parser contract on both sample files and both keys, and the plugin's registration."""

from __future__ import annotations

from pathlib import Path

from sciplane import ParserKey
from sciplane.testing import ParserContract
from sciplane_histograms_csv import plugin
from sciplane_histograms_csv.parser import LegacyCsvParser

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "dqm"


class TestLegacyCsvParserContract(ParserContract):
    parser = LegacyCsvParser()
    keys = [ParserKey("csv", 1, "lum"), ParserKey("csv", 2, "lum")]
    sample_files = [SAMPLES / "ZeroBias_2018A_DataFrame_1D_2.csv", SAMPLES / "ZeroBias_2018A_DataFrame_2D_2.csv"]


def test_one_parser_object_serves_both_keys():
    specs = plugin.register_parsers()
    assert [spec.key for spec in specs] == [ParserKey("csv", 1, "lum"), ParserKey("csv", 2, "lum")]
    assert specs[0].parser is specs[1].parser
    assert isinstance(specs[0].parser, LegacyCsvParser)
