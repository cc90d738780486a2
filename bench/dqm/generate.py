"""Synthetic legacy CSV files for the dqm benchmark, from a fixed seed.

Bin contents are drawn once into a small pool of distinct histograms and
reused with different titles and lumisections, so writing gigabytes is
I/O-bound rather than number formatting; the parser still decodes every
row in full.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sciplane_dqm.testing import HEADER_A

SEED = 20261121
POOL = 64


def _histo_texts(rng: np.random.Generator, cells: int, scale: float) -> list[str]:
    """``POOL`` quoted ``histo`` lists of ``cells`` integer bin contents (flows included)."""
    texts = []
    for _ in range(POOL):
        values = rng.poisson(scale, size=cells)
        texts.append('"[' + ", ".join(map(str, values.tolist())) + ']"')
    return texts


def write_1d(path: Path, rows: int, bins: int = 100, titles: int = 100) -> Path:
    """``rows`` 1D rows (``bins`` bins plus flows), ``titles`` MEs per lumisection, run 400000."""
    rng = np.random.default_rng(SEED)
    texts = _histo_texts(rng, bins + 2, 30.0)
    with path.open("w") as out:
        out.write(HEADER_A + "\n")
        for i in range(rows):
            lumi, me = 1 + i // titles, i % titles
            title = f"Bench/Tracks/charge_{me:03d}"
            text = texts[i % POOL]
            out.write(f"400000,{lumi},{title},400000,{lumi},3,{title},{text},{bins * 30},"
                      f"100,0,{bins},1,0,1\n")
    return path


def write_2d(path: Path, target_bytes: int, x_bins: int = 300, y_bins: int = 200, titles: int = 4) -> Path:
    """2D rows of ``x_bins`` × ``y_bins`` (plus flows) until the file holds ``target_bytes``."""
    rng = np.random.default_rng(SEED + 2)
    texts = _histo_texts(rng, (x_bins + 2) * (y_bins + 2), 0.4)
    written, i = 0, 0
    with path.open("w") as out:
        header = HEADER_A + "\n"
        out.write(header)
        written += len(header)
        while written < target_bytes:
            lumi, me = 1 + i // titles, i % titles
            title = f"Bench/Tracks/zphi_{me:02d}"
            line = (f"400001,{lumi},{title},400001,{lumi},6,{title},{texts[i % POOL]},1000,"
                    f"60,-60,{x_bins},3.2,-3.2,{y_bins}\n")
            out.write(line)
            written += len(line)
            i += 1
    return path
