"""Fixtures for the legacy CSV parser tests: the real sample files, and synthetic files made from their rows.

The sample rows are read with the standard ``csv`` module, not with the parser's own splitter, so a
derived file does not inherit a bug of the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sciplane import EntryError, HistogramRecord, ParserKey
from sciplane_histograms_csv.parser import LegacyCsvParser

SAMPLES = Path(__file__).resolve().parents[3] / "testdata" / "dqm"
SAMPLE_1D = SAMPLES / "ZeroBias_2018A_DataFrame_1D_2.csv"
SAMPLE_2D = SAMPLES / "ZeroBias_2018A_DataFrame_2D_2.csv"
KEY_1D = ParserKey("csv", 1, "lum")
KEY_2D = ParserKey("csv", 2, "lum")


@dataclass
class Table:
    """A CSV file as a header and rows of text fields, easy to alter and to write back."""

    header: list[str]
    rows: list[list[str]]

    @classmethod
    def read(cls, path: Path) -> Table:
        with path.open(newline="", encoding="utf-8") as handle:
            header, *rows = csv.reader(handle)
        return cls(header, rows)

    def copy(self) -> Table:
        return Table(list(self.header), [list(row) for row in self.rows])

    def get(self, row: int, column: str) -> str:
        return self.rows[row][self.header.index(column)]

    def set(self, row: int, column: str, value: str) -> Table:
        """Set every column of that name: variant A repeats some, always with the same value."""
        for index, name in enumerate(self.header):
            if name == column:
                self.rows[row][index] = value
        return self

    def select(self, columns: Iterable[str], *, index_column: str | None = None) -> Table:
        """The same rows with only ``columns`` (first occurrences), optionally led by a pandas index."""
        columns = list(columns)
        positions = [self.header.index(name) for name in columns]
        rows = [[row[i] for i in positions] for row in self.rows]
        if index_column is None:
            return Table(columns, rows)
        return Table([index_column, *columns], [[str(n), *row] for n, row in enumerate(rows)])

    def to_bytes(self, *, newline: str = "\n", final_newline: bool = True) -> bytes:
        lines = [",".join(map(_csv_field, self.header)), *(",".join(map(_csv_field, row)) for row in self.rows)]
        text = newline.join(lines) + (newline if final_newline else "")
        return text.encode("utf-8")


def _csv_field(value: str) -> str:
    # Real files quote histo even when it holds no comma (a space-separated list), so do the same.
    if value.startswith("[") or any(c in value for c in ',"'):
        return '"' + value.replace('"', '""') + '"'
    return value


@pytest.fixture(scope="session")
def table_1d() -> Table:
    return Table.read(SAMPLE_1D)


@pytest.fixture(scope="session")
def table_2d() -> Table:
    return Table.read(SAMPLE_2D)


@pytest.fixture
def parse() -> Callable[..., list[HistogramRecord | EntryError]]:
    """Every item the parser yields for a file, given as a path or as bytes."""

    def parse(source: Path | bytes, key: ParserKey = KEY_1D, *, start: int = 0,
              parser: LegacyCsvParser | None = None) -> list[HistogramRecord | EntryError]:
        parser = parser or LegacyCsvParser()
        if isinstance(source, bytes):
            return list(parser.parse(io.BytesIO(source), key=key, start=start))
        with source.open("rb") as stream:
            return list(parser.parse(stream, key=key, start=start))

    return parse


@pytest.fixture
def count() -> Callable[..., int]:
    def count(source: Path | bytes, key: ParserKey = KEY_1D, *, parser: LegacyCsvParser | None = None) -> int:
        parser = parser or LegacyCsvParser()
        if isinstance(source, bytes):
            return parser.count(io.BytesIO(source), key=key)
        with source.open("rb") as stream:
            return parser.count(stream, key=key)

    return count


@pytest.fixture(scope="session")
def sample_1d() -> Path:
    return SAMPLE_1D


@pytest.fixture(scope="session")
def sample_2d() -> Path:
    return SAMPLE_2D


# Plain helpers, handed to the tests as fixtures because a conftest module cannot be imported by name.

@pytest.fixture(scope="session")
def digest() -> Callable[[Iterable[HistogramRecord]], str]:
    """The specification's checksum: SHA-256 of every record's data as little-endian float64, in order."""

    def digest(records: Iterable[HistogramRecord]) -> str:
        sha = hashlib.sha256()
        for record in records:
            sha.update(np.ascontiguousarray(record.data, dtype="<f8").tobytes())
        return sha.hexdigest()

    return digest


@pytest.fixture(scope="session")
def wsum() -> Callable[[np.ndarray], float]:
    """Each value times its flat C-order index, summed: catches a shifted flow cut or a transposition."""
    return lambda data: float(np.dot(np.arange(data.size), data.ravel()))


@pytest.fixture(scope="session")
def same_items() -> Callable[[list, list], bool]:
    """Item lists equal field by field, with arrays compared by shape and value."""

    def same_field(u, v) -> bool:
        if isinstance(u, np.ndarray) or isinstance(v, np.ndarray):
            return (isinstance(u, np.ndarray) and isinstance(v, np.ndarray) and u.shape == v.shape
                    and np.array_equal(u, v, equal_nan=True))
        return u == v

    def same_item(x, y) -> bool:
        return type(x) is type(y) and all(same_field(getattr(x, name), getattr(y, name))
                                          for name in x.__dataclass_fields__)

    def same_items(a: list, b: list) -> bool:
        return len(a) == len(b) and all(map(same_item, a, b))

    return same_items
