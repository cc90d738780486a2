"""The COPY stream reader hands the driver every byte, in order, never more than asked and never an early
empty read (which the driver takes for the end of the data)."""

from __future__ import annotations

import random

import pytest

from sciplane_dqm.services.bulk import _Reader


@pytest.mark.parametrize("seed", range(5))
def test_reads_reassemble_the_pieces(seed):
    rng = random.Random(seed)
    for _ in range(400):
        pieces = [rng.randbytes(rng.choice([0, 1, 3, 10, 50, 300])) for _ in range(rng.randint(0, 20))]
        size = rng.choice([1, 2, 7, 64, 1000])
        reader, out = _Reader(iter(pieces)), []
        while chunk := reader.read(size):
            assert len(chunk) <= size
            out.append(chunk)
        assert b"".join(out) == b"".join(pieces)


def records(count: int, *, type_code=3, values=None):
    import numpy as np

    from sciplane import HistogramRecord
    return [HistogramRecord(entry=i + 1, run=315488, lumi=229, title=f"t{i}", entries=1000 + i, x_bin=100, x_min=-0.5,
                            x_max=99.5, type_code=type_code(i) if callable(type_code) else type_code,
                            data=np.arange(100, dtype=np.float64) * (i + 1) if values is None else values)
            for i in range(count)]


@pytest.mark.parametrize("numbered", [False, True])
def test_block_encoding_equals_row_encoding(numbered):
    import datetime as dt

    from sciplane_dqm.services import bulk
    from sciplane_dqm.services.rows import ChunkRows

    now = dt.datetime(2026, 11, 21, 10, 0, 0, 123456)

    def chunk(items):
        rows = ChunkRows.of(items, dim=1, source_file=4, created=now)
        rows.lay_out(numbered)  # as the parsing thread does, before the ids are known
        rows.resolve(list(range(1, len(items) + 1)), list(range(7, 7 + len(items))))
        return rows

    def by_row(rows):
        return b"".join(part for number, row in enumerate(rows.tuples())
                        for part in bulk._packer(tuple(v is None for v in row), numbered)(row, number))

    uniform = chunk(records(6))
    assert uniform.block(numbered) == by_row(uniform)
    assert chunk(records(6, type_code=lambda i: None if i % 2 else 3)).block(numbered) is None  # NULLs vary
    assert chunk(records(3, values=__import__("numpy").full(100, 0.1))).block(numbered) is None  # needs float64
