"""Contract test classes: subclass them in a plugin's test suite.

``ParserContract`` checks the parser protocol of ``sciplane.parsers`` on a
plugin's sample files; ``BlobStoreContract`` checks a blob store kind.  The
classes are not collected themselves (their names do not start with
``Test``); a subclass named ``Test…`` runs every check.
"""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ..errors import PayloadTooLarge
from ..parsers import EntryError, HistogramRecord, ParserKey


class _NoDatabase:
    """Stands in for the database while a parser runs: any use fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"parsers must not touch the database (used database.{name})")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, HistogramRecord) and isinstance(b, HistogramRecord):
        for name in HistogramRecord.__dataclass_fields__:
            x, y = getattr(a, name), getattr(b, name)
            if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
                if x is None or y is None or x.shape != y.shape or not np.array_equal(x, y, equal_nan=True):
                    return False
            elif x != y:
                return False
        return True
    return a == b


class ParserContract:
    """Checks any parser against the protocol.

    Set ``parser`` (the parser object), ``keys`` (the :class:`ParserKey`
    values it serves) and ``sample_files`` (paths of real sample files).
    """

    parser: Any = None
    keys: Iterable[ParserKey] = ()
    sample_files: Iterable[str | Path] = ()

    def _cases(self):
        return [(Path(path), ParserKey(*key)) for path in self.sample_files for key in self.keys]

    def _parse(self, path: Path, key: ParserKey, start: int = 0) -> list:
        with path.open("rb") as stream:
            return list(self.parser.parse(stream, key=key, start=start))

    def test_has_samples(self):
        assert self.parser is not None, "set `parser`"
        assert self._cases(), "set `keys` and `sample_files`"
        for path, _ in self._cases():
            assert path.is_file(), f"missing sample file {path}"

    def test_count_is_a_non_negative_integer(self):
        for path, key in self._cases():
            with path.open("rb") as stream:
                count = self.parser.count(stream, key=key)
            assert isinstance(count, int) and not isinstance(count, bool) and count >= 0

    def test_entries_increase_within_count(self):
        for path, key in self._cases():
            with path.open("rb") as stream:
                count = self.parser.count(stream, key=key)
            items = self._parse(path, key)
            entries = [item.entry for item in items]
            assert all(isinstance(item, (HistogramRecord, EntryError)) for item in items)
            assert entries == sorted(set(entries)), "entry numbers must be strictly increasing"
            assert all(1 <= e <= count for e in entries), "entries must lie in 1..count"

    def test_records_are_well_formed(self):
        for path, key in self._cases():
            for item in self._parse(path, key):
                if not isinstance(item, HistogramRecord):
                    continue
                assert item.run >= 1
                assert item.lumi >= 1 if key.granularity == "lum" else item.lumi == 0
                assert isinstance(item.data, np.ndarray) and item.data.flags.c_contiguous
                assert item.data.ndim == key.dimensionality
                shape = (item.x_bin,) if key.dimensionality == 1 else (item.y_bin, item.x_bin)
                assert item.data.shape == shape
                assert math.isfinite(item.x_min) and math.isfinite(item.x_max) and item.x_min < item.x_max
                assert 1 <= len(item.title) <= 1024 and "\x00" not in item.title
                assert item.entries >= 0

    def test_start_skips_entries(self):
        for path, key in self._cases():
            full = self._parse(path, key)
            with path.open("rb") as stream:
                count = self.parser.count(stream, key=key)
            for start in sorted({0, 1, count // 2, count}):
                expected = [item for item in full if item.entry > start]
                got = self._parse(path, key, start=start)
                assert len(got) == len(expected) and all(map(_same, got, expected)), f"start={start}"

    def test_deterministic_and_stream_agnostic(self):
        for path, key in self._cases():
            first = self._parse(path, key)
            again = list(self.parser.parse(io.BytesIO(path.read_bytes()), key=key))
            assert len(first) == len(again) and all(map(_same, first, again))

    def test_pure(self, monkeypatch):
        from .. import db
        monkeypatch.setattr(db.database, "obj", _NoDatabase())
        for path, key in self._cases():
            self._parse(path, key)


class BlobStoreContract:
    """Checks a blob store.  Implement the ``store`` fixture in the subclass."""

    @pytest.fixture
    def store(self, tmp_path):
        pytest.fail("a BlobStoreContract subclass must override the `store` fixture")

    def test_put_reports_size_and_sha256(self, store):
        data = b"sciplane" * 100_000
        info = store.put("a/b/c.bin", io.BytesIO(data))
        assert (info.key, info.size, info.sha256) == ("a/b/c.bin", len(data), hashlib.sha256(data).hexdigest())
        assert store.exists("a/b/c.bin") and store.size("a/b/c.bin") == len(data)
        assert b"".join(store.open("a/b/c.bin")) == data

    def test_ranged_reads(self, store):
        data = bytes(range(256)) * 10
        store.put("r.bin", io.BytesIO(data))
        if not store.supports_ranges:
            pytest.skip("store without ranges")
        assert b"".join(store.open("r.bin", 10, 20)) == data[10:20]
        assert b"".join(store.open("r.bin", 2500)) == data[2500:]

    def test_limit_keeps_nothing(self, store):
        with pytest.raises(PayloadTooLarge):
            store.put("big.bin", io.BytesIO(b"x" * 5000), max_bytes=4096)
        assert not store.exists("big.bin")
        assert "big.bin" not in list(store.keys())

    def test_delete_and_keys(self, store):
        store.put("k/one", io.BytesIO(b"1"))
        store.put("k/two", io.BytesIO(b"2"))
        assert sorted(store.keys("k/")) == ["k/one", "k/two"]
        assert store.delete("k/one") is True
        assert store.delete("k/one") is False
        assert list(store.keys("k/")) == ["k/two"]

    def test_missing_blob(self, store):
        assert not store.exists("nope")
        with pytest.raises(FileNotFoundError):
            store.open("nope")

    @pytest.mark.parametrize("key", ["", "/abs", "../up", "a/../b", "a//b", "a b"])
    def test_rejects_unsafe_keys(self, store, key):
        with pytest.raises(ValueError):
            store.put(key, io.BytesIO(b"x"))
