"""Fixtures for the nanodqm parser tests: the two ROOT fixtures, parse summaries, and small ROOT files written
with uproot at test time (lite conversions, broken indices, a basket with a corrupted entry)."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import uproot

from sciplane import EntryError, HistogramRecord, ParserKey
from sciplane_nanodqm.lite import convert
from sciplane_nanodqm.parser import DqmioParser
from sciplane_nanodqm.testing import indices_tree, read_indices, tree_columns, write_root

DATA = Path(__file__).resolve().parents[3] / "testdata" / "dqm"
KEYS = [ParserKey("nanodqm", d, g) for d in (1, 2) for g in ("lum", "run")]


@pytest.fixture(scope="session")
def small() -> Path:
    return DATA / "small_run357538.root"


@pytest.fixture(scope="session")
def bench() -> Path:
    return DATA / "bench_run367094.root"


@pytest.fixture(params=["small", "bench"])
def sample(request) -> Path:
    """Each ROOT fixture in turn."""
    return request.getfixturevalue(request.param)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test that takes ``key`` runs once per parser key."""
    if "key" in metafunc.fixturenames:
        metafunc.parametrize("key", KEYS, ids=[f"{k.dimensionality}-{k.granularity}" for k in KEYS])


# --- summaries: what the §5.8 tables state about a parse, without keeping 2D payloads in memory ---------------


@dataclass(frozen=True)
class RecordSummary:
    entry: int
    run: int
    lumi: int
    title: str
    type_code: int
    entries: int
    axes: tuple
    shape: tuple
    dtype: str
    total: float
    wsum: float
    maximum: float
    argmax: tuple
    unique_max: bool
    has_edges: bool


@dataclass(frozen=True)
class Summary:
    count: int
    records: list[RecordSummary]
    errors: list[EntryError]
    digest: str


def wsum(data: np.ndarray) -> float:
    """Σ i·data[i] in 1D and Σ (iy·x_bin + ix)·data[iy][ix] in 2D: the C-order flat index as weight.

    (An elementwise product, not ``np.dot``: the bins hold integers, so the float64 sum is exact either way, and
    the product avoids a BLAS call that is slow for this shape.)
    """
    flat = data.astype(np.float64).ravel()
    return float((np.arange(flat.size, dtype=np.float64) * flat).sum())


def summarize_record(record: HistogramRecord) -> RecordSummary:
    data = record.data
    maximum = data.max()
    return RecordSummary(
        record.entry, record.run, record.lumi, record.title, record.type_code, record.entries,
        (record.x_bin, record.x_min, record.x_max, record.y_bin, record.y_min, record.y_max),
        data.shape, data.dtype.str, float(data.sum(dtype=np.float64)), wsum(data), float(maximum),
        tuple(int(i) for i in np.unravel_index(int(np.argmax(data)), data.shape)),
        int(np.count_nonzero(data == maximum)) == 1, record.x_edges is not None or record.y_edges is not None,
    )


def summarize(count: int, items: Iterable) -> Summary:
    """Fold a parse into summaries and the fixtures README digest (little-endian float64, C order, in order)."""
    digest = hashlib.sha256()
    records, errors = [], []
    for item in items:
        if isinstance(item, EntryError):
            errors.append(item)
            continue
        digest.update(np.ascontiguousarray(item.data, dtype="<f8"))
        records.append(summarize_record(item))
    return Summary(count, records, errors, digest.hexdigest())


@pytest.fixture(scope="session")
def summary() -> Callable[..., Summary]:
    """``summary(path, key, reader="auto", in_memory=False)``, memoised for the session.

    ``in_memory`` hands the parser an ``io.BytesIO`` instead of a file (scenario 57).
    """
    cache: dict[tuple, Summary] = {}

    def get(path: Path, key: ParserKey, reader: str = "auto", in_memory: bool = False) -> Summary:
        token = (path, key, reader, in_memory)
        if token not in cache:
            parser = DqmioParser(reader=reader)
            with (io.BytesIO(path.read_bytes()) if in_memory else path.open("rb")) as stream:
                count = parser.count(stream, key=key)
                stream.seek(0)
                cache[token] = summarize(count, parser.parse(stream, key=key))
        return cache[token]

    return get


def assert_same_record(a: HistogramRecord, b: HistogramRecord) -> None:
    """Every field equal; arrays equal in value, shape and dtype (the identity of spec §5.6)."""
    assert isinstance(a, HistogramRecord) and isinstance(b, HistogramRecord), (a, b)
    for name in HistogramRecord.__dataclass_fields__:
        x, y = getattr(a, name), getattr(b, name)
        if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
            assert x is not None and y is not None, name
            assert (x.dtype, x.shape) == (y.dtype, y.shape) and np.array_equal(x, y), (a.entry, name)
            assert x.flags.c_contiguous and y.flags.c_contiguous
        else:
            assert x == y, (a.entry, name, x, y)


@pytest.fixture(scope="session")
def same_record() -> Callable[[HistogramRecord, HistogramRecord], None]:
    return assert_same_record


# --- ROOT files written at test time ------------------------------------------------------------------------------


# --- editing a compressed basket in place ------------------------------------------------------------------------


def root_block(payload: bytes, uncompressed: int, tag: bytes = b"ZL\x08") -> bytes:
    """One ROOT compression block: the algorithm tag and method ("ZL", 8 = deflate), 3-byte little-endian sizes,
    then the compressed stream."""
    return tag + len(payload).to_bytes(3, "little") + uncompressed.to_bytes(3, "little") + payload


def zlib_block(raw: bytes) -> bytes:
    return root_block(zlib.compress(raw, 9), len(raw))


def recompress_to_size(raw: bytes, size: int, head_block: Callable[[bytes], bytes] = zlib_block) -> bytes:
    """ROOT compression blocks for ``raw`` that occupy exactly ``size`` bytes, so nothing else in the file moves.

    The head is compressed as tightly as possible (by ``head_block``, zlib unless a test wants another
    algorithm) and the tail is stored (zlib level 0: 11 bytes of framing), so the total grows almost one byte per
    byte moved into the tail: a bisection finds the region, a short scan the exact split.
    """

    def blocks(tail: int) -> bytes:
        return head_block(raw[:-tail]) + root_block(zlib.compress(raw[-tail:], 0), tail)

    low, high = 1, min(len(raw) - 1, 0xFFFF)  # one stored deflate block holds at most 65535 bytes
    while low < high:
        middle = (low + high) // 2
        low, high = (middle + 1, high) if len(blocks(middle)) < size else (low, middle)
    for tail in range(max(1, low - 32), min(len(raw) - 1, low + 32)):
        candidate = blocks(tail)
        if len(candidate) == size:
            return candidate
    raise AssertionError("cannot re-compress the basket into its original size")


def rewrite_basket(source: Path, target: Path, tree: str, basket_number: int, edit: Callable[[bytearray], None],
                   branch: str = "Value",
                   recompress: Callable[[bytes, int], bytes] = recompress_to_size) -> Path:
    """Copy ``source`` to ``target`` with one basket's uncompressed bytes changed by ``edit`` (in place).

    ``edit`` receives the basket's data and entry offsets as one buffer (entry data first); ``recompress`` turns
    the result into exactly the given number of payload bytes.
    """
    content = bytearray(source.read_bytes())
    with uproot.open(source) as f:
        branch_object = f[tree][branch]
        raw = bytearray(branch_object.basket(basket_number).raw_data.tobytes())
        seek = int(branch_object.member("fBasketSeek")[basket_number])
        nbytes = int(branch_object.member("fBasketBytes")[basket_number])
    keylen = struct.unpack_from(">H", content, seek + 14)[0]  # TKey: fNbytes, fVersion, fObjlen, fDatime, fKeylen
    edit(raw)
    content[seek + keylen:seek + nbytes] = recompress(bytes(raw), nbytes - keylen)
    target.write_bytes(bytes(content))
    return target


class RootFiles:
    """Writes ROOT files into one test's temporary directory; the small fixture's lite conversion is the usual base
    for files with broken parts."""

    indices_tree = staticmethod(indices_tree)
    root_block = staticmethod(root_block)
    zlib_block = staticmethod(zlib_block)
    recompress_to_size = staticmethod(recompress_to_size)

    def __init__(self, directory: Path, lite: dict[str, dict[str, tuple]], indices: dict[str, np.ndarray]):
        self.directory = directory
        self.lite = lite  # the small fixture's type trees in the lite layout (do not mutate: shared)
        self.indices = indices  # the small fixture's Indices columns (do not mutate: shared)

    def write(self, name: str, trees: dict[str, dict[str, tuple]]) -> Path:
        return write_root(self.directory / name, trees)

    def lite_copy(self, name: str, *, indices: dict[str, np.ndarray] | None = None,
                  trees: dict[str, dict[str, tuple] | None] | None = None,
                  index_kinds: dict[str, type] | None = None) -> Path:
        """The small fixture in the lite layout, with ``Indices`` (and the types of its branches) and type trees
        replaced (None drops a tree)."""
        chosen = {**self.lite, **(trees or {})}
        content = {"Indices": indices_tree(self.indices if indices is None else indices, index_kinds)}
        content.update({tree: columns for tree, columns in chosen.items() if columns is not None})
        return self.write(name, content)

    def rewrite_basket(self, source: Path, name: str, tree: str, basket_number: int,
                       edit: Callable[[bytearray], None],
                       recompress: Callable[[bytes, int], bytes] = recompress_to_size) -> Path:
        return rewrite_basket(source, self.directory / name, tree, basket_number, edit, recompress=recompress)


@pytest.fixture(scope="session")
def small_lite(small, tmp_path_factory) -> Path:
    """The small fixture converted to the lite layout by the package's converter (scenario 19)."""
    return convert(small, tmp_path_factory.mktemp("lite") / "small_lite.root")


@pytest.fixture(scope="session")
def small_lite_parts(small, small_lite) -> tuple[dict, dict]:
    return {name: tree_columns(small_lite, name) for name in ("TH1Fs", "TH2Fs")}, read_indices(small)


@pytest.fixture
def root_files(tmp_path, small_lite_parts) -> RootFiles:
    lite, indices = small_lite_parts
    return RootFiles(tmp_path, lite, indices)
