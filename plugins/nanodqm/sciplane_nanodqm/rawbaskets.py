"""Reading a branch's baskets straight from the stream: one seek and read per basket, zlib blocks inflated here.

uproot's ``TBranch.basket(i)`` builds a TBasket model through its generic cursor machinery, which costs about
as much Python per basket as decoding it.  A basket on disk is simple: a TKey header (whose last 19 bytes are
the TBasket's own fields), then the payload as ROOT compression blocks (a 9-byte header each: 2-byte algorithm
tag, method byte, 3-byte little-endian compressed and uncompressed sizes).  After inflating, the entry data is
followed by the entry-offset array.  This module reads exactly the common case (free baskets whose blocks are
all zlib, ``ZL``) and produces the same ``data`` and ``byte_offsets`` as uproot; anything else raises
``Unrecognised`` and the caller asks uproot for that basket, so other algorithms and odd baskets keep working.

Blocks are inflated with libdeflate (the ``deflate`` package, the faster of the back ends uproot itself offers
for zlib): the dense 2D histograms of a DQMIO file inflate to 25 times their stored size, and libdeflate does that
about 3.5 times faster than the standard library's zlib.  It checks the Adler-32 sum as zlib does, releases the
GIL, and the sizes in the block headers let it allocate its output once.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import IO

import deflate
import numpy as np
import uproot

from .rootfile import reason

_KEY = struct.Struct(">ihiIhh")  # fNbytes, fVersion, fObjlen, fDatime, fKeylen, fCycle
_BASKET = struct.Struct(">Hiiii")  # fVersion, fBufferSize, fNevBufSize, fNevBuf, fLast: the key's last 19 bytes
_BASKET_AT_END = _BASKET.size + 1  # the fields are followed by one flag byte that closes the key
_BLOCK_HEADER = 9
_ZLIB_TAG = b"ZL"
_OFFSETS = np.dtype(">i4")


class Unrecognised(Exception):
    """The basket is not one this reader handles (or is damaged); uproot should be asked for it instead."""


@dataclass(frozen=True, slots=True)
class RawBasket:
    data: np.ndarray  # the entries' bytes (read-only uint8), as uproot's ``TBasket.data``
    byte_offsets: np.ndarray | None  # entry boundaries within ``data``, as uproot's ``TBasket.byte_offsets``


class BasketReader:
    """Reads the free baskets of one branch from ``stream``, using the positions the TBranch itself records.

    Only what the TBranch lists as written (``fBasketSeek`` up to ``fWriteBasket``) is read here; baskets held
    inside the TBranch object are left to uproot.  The stream is shared with uproot, which seeks before every
    read too, so interleaving the two is safe in this single-threaded reader.
    """

    def __init__(self, stream: IO[bytes], branch: uproot.TBranch):
        self._stream = stream
        self._seeks: list[int] = []
        self._sizes: list[int] = []
        self._entries: list[int] = []
        try:
            seeks = np.asarray(branch.member("fBasketSeek"), dtype=np.int64)
            sizes = np.asarray(branch.member("fBasketBytes"), dtype=np.int64)
            entries = np.asarray(branch.member("fBasketEntry"), dtype=np.int64)
            written = max(min(int(branch.member("fWriteBasket")), seeks.size, sizes.size, entries.size - 1), 0)
        except Exception:  # an unusual TBranch: every basket then goes to uproot, which knows more variants
            return
        free = np.flatnonzero(seeks[:written] <= 0)
        count = int(free[0]) if free.size else written
        self._seeks = seeks[:count].tolist()
        self._sizes = sizes[:count].tolist()
        self._entries = np.diff(entries[:count + 1]).tolist()

    def read(self, number: int) -> RawBasket:
        """Basket ``number``'s data and entry offsets; ``Unrecognised`` when uproot must read it instead."""
        if not 0 <= number < len(self._entries):
            raise Unrecognised(f"basket {number} is not a free basket with a known entry count")
        size = self._sizes[number]
        try:
            self._stream.seek(self._seeks[number])
            raw = self._stream.read(size)
        except OSError as exc:  # uproot gets its chance (and reports the failure in its own words)
            raise Unrecognised(f"basket {number} cannot be read: {reason(exc)}") from None
        if len(raw) != size:
            raise Unrecognised(f"basket {number} is truncated: {len(raw)} of {size} bytes could be read")
        return parse_basket(raw, self._entries[number])


def parse_basket(raw: bytes, entries: int) -> RawBasket:
    """A basket's TKey and payload, checked against the sizes and entry count the TBranch gave for it."""
    if len(raw) < _KEY.size:
        raise Unrecognised("the basket is shorter than its key header")
    nbytes, _, objlen, _, keylen, _ = _KEY.unpack_from(raw)
    if nbytes != len(raw):
        raise Unrecognised(f"the key says {nbytes} bytes, the TBranch {len(raw)}")
    if not _KEY.size + _BASKET_AT_END <= keylen < nbytes:
        raise Unrecognised(f"a key length of {keylen} leaves no payload (an embedded basket?)")
    _, _, _, nevbuf, last = _BASKET.unpack_from(raw, keylen - _BASKET_AT_END)
    if nevbuf != entries:
        raise Unrecognised(f"the basket holds {nevbuf} entries, the TBranch says {entries}")
    payload = memoryview(raw)[keylen:]
    content = payload if len(payload) == objlen else _inflate(payload, objlen)  # equal sizes: stored as is
    return _split(np.frombuffer(content, dtype=np.uint8), last - keylen, keylen)


def _inflate(payload: memoryview, size: int) -> bytes | bytearray:
    """The concatenated output of the payload's compression blocks, all of which must be zlib."""
    pieces: list[bytes] = []
    at = filled = 0
    while filled < size:
        if len(payload) - at < _BLOCK_HEADER:
            raise Unrecognised(f"the payload ends after {filled} of {size} bytes")
        header = payload[at:at + _BLOCK_HEADER]
        if header[:2] != _ZLIB_TAG:
            raise Unrecognised(f"compression {bytes(header[:2])!r} is left to uproot")
        compressed = int.from_bytes(header[3:6], "little")
        expected = int.from_bytes(header[6:9], "little")
        block = payload[at + _BLOCK_HEADER:at + _BLOCK_HEADER + compressed]
        if len(block) != compressed:
            raise Unrecognised("a compression block runs past the end of the basket")
        try:
            piece = deflate.zlib_decompress(block, max(expected, 1))
        except deflate.DeflateError:  # a corrupt stream, a wrong checksum or more output than the header says
            raise Unrecognised("a zlib block cannot be inflated to the size its header gives") from None
        if len(piece) != expected:
            raise Unrecognised(f"a zlib block gave {len(piece)} bytes, its header says {expected}")
        pieces.append(piece)
        filled += expected
        at += _BLOCK_HEADER + compressed
    if filled != size:
        raise Unrecognised(f"the blocks give {filled} bytes, the key says {size}")
    return pieces[0] if len(pieces) == 1 else b"".join(pieces)


def _split(content: np.ndarray, border: int, keylen: int) -> RawBasket:
    """Entry data and offsets, computed as uproot does (offsets are stored relative to the key's start).

    ROOT stores a count followed by that many offsets (``fNevBuf + 1`` of them, the last unused); uproot replaces
    the last with the data's end, and so does this.  The count is checked so that a wrong ``fLast`` is noticed.
    """
    if border == content.size:
        return RawBasket(content, None)
    if not 0 <= border < content.size or (content.size - border) % _OFFSETS.itemsize:
        raise Unrecognised(f"fLast puts the entry offsets at {border} in {content.size} bytes")
    stored = content[border:].view(_OFFSETS)
    if stored.size < 2 or stored[0] != stored.size - 1:
        raise Unrecognised("fLast does not point at an entry-offset array")
    offsets = stored[1:] - keylen
    offsets[-1] = border
    return RawBasket(content[:border], offsets)
