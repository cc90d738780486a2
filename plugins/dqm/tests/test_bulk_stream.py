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
