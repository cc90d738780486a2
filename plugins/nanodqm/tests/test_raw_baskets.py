"""The direct basket reader: byte identity with uproot's baskets, and the cases it leaves to uproot (spec §5.6)."""

from __future__ import annotations

import io
import lzma
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
import uproot

from sciplane import EntryError, HistogramRecord, ParserKey
from sciplane_nanodqm.parser import DqmioParser
from sciplane_nanodqm.rawbaskets import BasketReader, Unrecognised, parse_basket

LUM_1D = ParserKey("nanodqm", 1, "lum")
LUM_2D = ParserKey("nanodqm", 2, "lum")
BRANCHES = [(tree, branch) for tree in ("TH1Fs", "TH2Fs") for branch in ("Value", "FullName")]


def _assert_same_basket(reader: BasketReader, branch: uproot.TBranch, number: int) -> None:
    mine, theirs = reader.read(number), branch.basket(number)
    assert mine.data.dtype == np.uint8 and mine.data.tobytes() == theirs.data.tobytes()
    assert mine.byte_offsets.dtype == theirs.byte_offsets.dtype
    assert np.array_equal(mine.byte_offsets, theirs.byte_offsets)


@pytest.mark.parametrize(("tree", "branch"), BRANCHES)
def test_every_fixture_basket_equals_uproots(sample, tree, branch):
    """Every basket of both fixtures is recognised (so ``reader="fast"`` never needs uproot's baskets for them)
    and gives uproot's ``data`` and ``byte_offsets`` byte for byte."""
    with sample.open("rb") as stream, uproot.open(sample) as f:
        value = f[tree][branch]
        reader = BasketReader(stream, value)
        for number in range(value.num_baskets):
            _assert_same_basket(reader, value, number)


def _parse(path: Path, key: ParserKey, reader: str) -> list:
    with path.open("rb") as stream:
        return list(DqmioParser(reader=reader).parse(stream, key=key))


def _unchanged(raw: bytearray) -> None:
    pass


def test_several_zlib_blocks(small, root_files, same_record):
    """A basket split into two blocks (one deflated, one stored) is joined exactly as uproot joins it."""
    rewritten = root_files.rewrite_basket(small, "two_blocks.root", "TH2Fs", 0, _unchanged)
    with rewritten.open("rb") as stream, uproot.open(rewritten) as f:
        value = f["TH2Fs"]["Value"]
        assert len(value.basket(0).block_compression_info) == 2
        _assert_same_basket(BasketReader(stream, value), value, 0)
    for mine, theirs in zip(_parse(rewritten, LUM_2D, "fast"), _parse(small, LUM_2D, "uproot"), strict=True):
        same_record(mine, theirs)


def test_other_compression_goes_to_uproot(small, root_files, same_record):
    """A basket compressed with another algorithm is declined by the direct reader; uproot inflates it and the fast
    decoder still reads every entry, so ``fast`` gives uproot's records without errors."""

    def xz_block(part: bytes) -> bytes:
        xz = lzma.compress(part, format=lzma.FORMAT_XZ, preset=9 | lzma.PRESET_EXTREME)
        return root_files.root_block(xz, len(part), tag=b"XZ\x00")

    def xz_then_stored(raw: bytes, size: int) -> bytes:  # LZMA for most of the basket, a stored zlib tail
        return root_files.recompress_to_size(raw, size, head_block=xz_block)

    rewritten = root_files.rewrite_basket(small, "xz.root", "TH1Fs", 0, _unchanged, recompress=xz_then_stored)
    with rewritten.open("rb") as stream, uproot.open(rewritten) as f:
        value = f["TH1Fs"]["Value"]
        assert value.basket(0).block_compression_info[0][0] == "LZMA"
        with pytest.raises(Unrecognised, match="XZ"):
            BasketReader(stream, value).read(0)
    reference = _parse(small, LUM_1D, "uproot")
    for reader in ("fast", "auto"):
        for mine, theirs in zip(_parse(rewritten, LUM_1D, reader), reference, strict=True):
            same_record(mine, theirs)


def test_truncated_compressed_basket_is_unreadable(small, root_files, same_record):
    """A basket whose zlib stream is cut short cannot be read by either path: every entry of that basket is
    ``unreadable_object`` with its coordinates (fast and auto alike), and the other tree is unaffected."""

    def truncated(raw: bytes, size: int) -> bytes:  # the zlib stream stops half-way; zeros fill the basket
        stream = root_files.zlib_block(raw)[9:]
        cut = root_files.root_block(stream[:len(stream) // 2], len(raw))
        return cut + bytes(size - len(cut))

    broken = root_files.rewrite_basket(small, "cut.root", "TH2Fs", 0, _unchanged, recompress=truncated)
    with broken.open("rb") as stream, uproot.open(broken) as f:
        with pytest.raises(Unrecognised, match="inflated"):
            BasketReader(stream, f["TH2Fs"]["Value"]).read(0)
    reference = _parse(small, LUM_2D, "uproot")
    for reader in ("fast", "auto"):
        items = _parse(broken, LUM_2D, reader)
        assert len(items) == len(reference)
        for error, record in zip(items, reference, strict=True):
            assert isinstance(error, EntryError) and error.code == "unreadable_object", error
            assert (error.entry, error.run, error.lumi, error.title) == (record.entry, record.run, record.lumi,
                                                                         record.title)
        for mine, theirs in zip(_parse(broken, LUM_1D, reader), _parse(small, LUM_1D, "uproot"), strict=True):
            same_record(mine, theirs)


def test_truncated_file_is_declined(small):
    """A stream that ends inside a basket: the direct reader declines it instead of decoding a short buffer."""
    content = small.read_bytes()
    with uproot.open(small) as f:
        value = f["TH2Fs"]["Value"]
        end = int(value.member("fBasketSeek")[0]) + int(value.member("fBasketBytes")[0])
        with pytest.raises(Unrecognised, match="truncated"):
            BasketReader(io.BytesIO(content[:end - 10]), value).read(0)


def _small_basket(small: Path) -> tuple[bytes, int]:
    with uproot.open(small) as f:
        value = f["TH1Fs"]["Value"]
        seek, size = int(value.member("fBasketSeek")[0]), int(value.member("fBasketBytes")[0])
        return small.read_bytes()[seek:seek + size], value.basket(0).num_entries


def test_key_inconsistencies_are_declined(small):
    """Sizes and counts that disagree with the TBranch or with each other make the basket uproot's business."""
    raw, entries = _small_basket(small)
    assert parse_basket(raw, entries).data.size > 0
    with pytest.raises(Unrecognised, match="entries"):
        parse_basket(raw, entries + 1)
    with pytest.raises(Unrecognised, match="key says"):
        parse_basket(raw[:-1], entries)
    keylen = struct.unpack_from(">h", raw, 14)[0]
    embedded = bytearray(raw)
    struct.pack_into(">h", embedded, 14, len(raw))  # fKeylen covering the whole basket: no payload of its own
    with pytest.raises(Unrecognised, match="key length"):
        parse_basket(bytes(embedded), entries)
    wrong_last = bytearray(raw)
    last_at = keylen - 5  # fLast is the key's last int32 before the closing flag byte
    struct.pack_into(">i", wrong_last, last_at, struct.unpack_from(">i", raw, last_at)[0] - 4)
    with pytest.raises(Unrecognised, match="fLast"):
        parse_basket(bytes(wrong_last), entries)


def test_uncompressed_basket(small):
    """A payload as long as ``fObjlen`` is stored as is (ROOT does so when compression does not pay)."""
    raw, entries = _small_basket(small)
    keylen = struct.unpack_from(">h", raw, 14)[0]
    stored = bytearray(raw[:keylen] + zlib.decompress(raw[keylen + 9:]))  # the fixture's basket is one block
    struct.pack_into(">i", stored, 0, len(stored))  # fNbytes
    plain, compressed = parse_basket(bytes(stored), entries), parse_basket(raw, entries)
    assert plain.data.tobytes() == compressed.data.tobytes()
    assert np.array_equal(plain.byte_offsets, compressed.byte_offsets)


def test_records_unchanged_by_direct_reading(bench):
    """The bench fixture's first 2D record through the direct reader, as §5.8 states it (the digests are checked
    over whole parses in test_expected)."""
    with bench.open("rb") as stream:
        first = next(iter(DqmioParser(reader="fast").parse(stream, key=LUM_2D)))
    assert isinstance(first, HistogramRecord) and first.data.shape == (200, 300)
    assert float(first.data.sum(dtype=np.float64)) == 2972
