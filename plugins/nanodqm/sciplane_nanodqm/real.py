"""A type tree in the real DQMIO layout: ``FullName`` strings and TBranchObject ``Value`` histograms."""

from __future__ import annotations

from typing import IO

import numpy as np
import uproot

from .decoded import DecodedME, Problem
from .fastbaskets import LayoutMemo, decode_basket
from .metypes import METype
from .rawbaskets import BasketReader, Unrecognised
from .rootfile import reason
from .streamer import NotDecodable
from .uprootobjects import read_object, read_objects
from .windows import BasketWindows

READERS = ("auto", "fast", "uproot")


class RealTree:
    """Reads MEs by tree entry with the chosen reader.

    ``fast`` decodes each basket's bytes with numpy and reports what it cannot decode; ``auto`` hands exactly
    those entries (or the whole basket, when the basket itself is unusable or embedded) to uproot; ``uproot``
    uses uproot's object path throughout, which is the baseline the fast path is measured and checked against.
    Both ``fast`` and ``auto`` take a basket's bytes from ``BasketReader`` (``stream`` is the file uproot opened)
    and ask uproot for the basket only when that reader does not recognise it.
    """

    def __init__(self, tree: uproot.TTree, me_type: METype, reader: str, stream: IO[bytes]):
        self.name = me_type.tree
        self.num_entries = tree.num_entries
        self._me_type = me_type
        self._reader = reader
        self._layouts = LayoutMemo()
        self._value = tree["Value"]
        self._raw = BasketReader(stream, self._value)
        self._full_name = tree["FullName"]
        self._titles = BasketWindows(self._full_name.entry_offsets, self._read_titles)
        self._values = BasketWindows(self._value.entry_offsets, self._read_values)

    def get(self, index: int) -> tuple[str | None, DecodedME | Problem]:
        return self._titles.get(index), self._values.get(index)

    def _read_titles(self, basket: int, start: int, stop: int) -> list[str | None]:
        try:
            return self._full_name.array(entry_start=start, entry_stop=stop, library="np").tolist()
        except Exception:
            return [None] * (stop - start)

    def _read_values(self, basket_number: int, start: int, stop: int) -> list[DecodedME | Problem]:
        if self._reader == "uproot":
            return read_objects(self._value, start, stop, self._me_type)
        return self._read_basket(basket_number, start, stop)

    def _read_basket(self, basket_number: int, start: int, stop: int) -> list[DecodedME | Problem]:
        try:
            data, byte_offsets = self._basket_bytes(basket_number)
        except _BasketUnusable as exc:
            return self._instead_of_range(start, stop, f"basket {basket_number} {reason(exc)}")
        try:
            decoded = decode_basket(data, byte_offsets, self._me_type, self._layouts)
        except NotDecodable as exc:
            return self._instead_of_range(start, stop, f"basket {basket_number}: {reason(exc)}")
        if len(decoded) != stop - start:
            return self._instead_of_range(start, stop, f"basket {basket_number} holds {len(decoded)} entries, "
                                                       f"the branch says {stop - start}")
        return [self._instead_of_entry(start + i, item) if isinstance(item, Problem) else item
                for i, item in enumerate(decoded)]

    def _basket_bytes(self, basket_number: int) -> tuple[np.ndarray, np.ndarray | None]:
        """The basket's data and entry offsets: read directly when possible, otherwise through uproot."""
        try:
            raw = self._raw.read(basket_number)
            return raw.data, raw.byte_offsets
        except Unrecognised:
            pass  # another compression, an embedded or damaged basket: uproot decides what it is
        try:
            basket = self._value.basket(basket_number)
        except Exception as exc:
            raise _BasketUnusable(f"cannot be read: {reason(exc)}") from None
        if basket.is_embedded:
            raise _BasketUnusable("is embedded in the TBranch")
        return basket.data, basket.byte_offsets

    def _instead_of_range(self, start: int, stop: int, reason: str) -> list[DecodedME | Problem]:
        if self._reader == "auto":
            return read_objects(self._value, start, stop, self._me_type)
        return [Problem("unreadable_object", f"fast reader: {reason}")] * (stop - start)

    def _instead_of_entry(self, index: int, problem: Problem) -> DecodedME | Problem:
        return read_object(self._value, index, self._me_type) if self._reader == "auto" else problem


class _BasketUnusable(Exception):
    """Neither reader can provide the basket's bytes; the message completes "basket N ..."."""
