"""Serving a branch's entries one basket range at a time.

Indices rows are usually shorter than a basket (bench file: 20 TH1F per row, 138 per basket), and consecutive
rows of one type continue where the previous ended.  Keeping the last decoded basket range lets those rows
share one basket read, while memory stays bounded by a single basket per branch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

import numpy as np

Item = TypeVar("Item")


class BasketWindows(Generic[Item]):
    """``get(i)`` returns entry ``i`` of a branch, loading the basket range that holds it when needed.

    ``boundaries`` are the branch's basket entry offsets (``TBranch.entry_offsets``); ``load(basket, start,
    stop)`` returns one item per entry of that range.
    """

    def __init__(self, boundaries: Sequence[int], load: Callable[[int, int, int], Sequence[Item]]):
        self._boundaries = np.asarray(boundaries, dtype=np.int64)
        self._load = load
        self._start = self._stop = 0
        self._items: Sequence[Item] = ()

    def get(self, index: int) -> Item:
        if not self._start <= index < self._stop:
            basket = int(np.searchsorted(self._boundaries, index, side="right")) - 1
            start, stop = int(self._boundaries[basket]), int(self._boundaries[basket + 1])
            self._start = self._stop = 0
            self._items = ()  # let the previous basket go before the next one is read
            self._items = self._load(basket, start, stop)
            self._start, self._stop = start, stop
        return self._items[index - self._start]
