"""The core's parser contract (spec §3.7), on both ROOT fixtures and all four keys."""

from __future__ import annotations

from pathlib import Path

from sciplane import ParserKey
from sciplane.testing import ParserContract
from sciplane_nanodqm.parser import DqmioParser

DATA = Path(__file__).resolve().parents[3] / "testdata" / "dqm"


class TestDqmioParserContract(ParserContract):
    parser = DqmioParser(reader="auto")
    keys = [ParserKey("nanodqm", d, g) for d in (1, 2) for g in ("lum", "run")]
    sample_files = [DATA / "small_run357538.root", DATA / "bench_run367094.root"]
