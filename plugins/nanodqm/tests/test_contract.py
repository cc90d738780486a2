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


def test_count_then_parse_reads_indices_once(small, tmp_path, monkeypatch):
    """The store's count-then-parse on one open file reads ``Indices`` once; a file changed in between, another
    key, or a stream that is not a file gets its own read, and the records are the same either way."""
    import os
    import shutil

    from sciplane_nanodqm import parser as parser_module

    reads = []
    real = parser_module.read_index_columns
    monkeypatch.setattr(parser_module, "read_index_columns", lambda directory: reads.append(1) or real(directory))
    key, other = ParserKey("nanodqm", 1, "lum"), ParserKey("nanodqm", 2, "lum")
    parser = DqmioParser()
    with small.open("rb") as stream:
        alone = [(r.entry, r.title) for r in parser.parse(stream, key=key)]
    reads.clear()
    with small.open("rb") as stream:
        total = parser.count(stream, key=key)
        stream.seek(0)
        assert [(r.entry, r.title) for r in parser.parse(stream, key=key)] == alone and total == len(alone)
    assert len(reads) == 1
    copy = Path(shutil.copy(small, tmp_path / "copy.root"))
    with copy.open("rb") as stream:
        parser.count(stream, key=key)
        os.utime(copy, ns=(0, 0))  # changed since it was counted
        stream.seek(0)
        assert [(r.entry, r.title) for r in parser.parse(stream, key=key)] == alone
        parser.count(stream, key=key)
        stream.seek(0)
        list(parser.parse(stream, key=other))
    assert len(reads) == 5
