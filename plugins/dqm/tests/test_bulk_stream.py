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


@pytest.mark.parametrize("numbered", [False, True])
def test_block_encoding_equals_row_encoding(numbered):
    import datetime as dt

    import numpy as np

    from sciplane_dqm.services import bulk

    now = dt.datetime(2026, 11, 21, 10, 0, 0, 123456)
    data = np.arange(100, dtype="<f4").tobytes()
    rows = [(i + 1, 315488, 229, 7 + i, 1, None if i % 2 else 3, 1000 + i, -0.5, 99.5, 100, None, None, None, None,
             None, "f4", data, 4, now) for i in range(6)]
    uniform = [r for r in rows if r[5] is not None]
    by_row = b"".join(part for number, row in enumerate(uniform)
                      for part in bulk._packer(tuple(v is None for v in row), numbered)(row, number))
    assert bulk._uniform_block(uniform, numbered) == by_row
    assert bulk._uniform_block(rows, numbered) is None  # two NULL patterns: row by row
