"""A per-worker LRU of encoded response bodies.

For read paths whose answer is a pure function of the request and of a
version the request reads anyway (a change counter bumped by every write):
the version is part of the key, so a hit is never stale and writes
invalidate implicitly, on every worker, without any messaging.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any

DEFAULT_BYTES = 64 << 20
LARGEST_SHARE = 4  # a value above 1/4 of the budget is not kept: it would push out many small ones


class ResponseCache:
    """At most ``entries`` values holding at most ``max_bytes`` in all (as ``size(value)`` counts them, by default
    ``len``); either bound at 0 turns the cache off.  Thread-safe for gthread workers.

    The byte budget is what bounds a worker's memory: a count alone would let a few large answers (a long list,
    a big catalogue page) take gigabytes.
    """

    def __init__(self, entries: int, max_bytes: int = DEFAULT_BYTES, size: Callable[[Any], int] = len):
        self.entries = entries if max_bytes else 0
        self.max_bytes = max_bytes
        self.bytes = 0
        self._size = size
        self._items: OrderedDict = OrderedDict()  # key -> (value, its size)
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> Any | None:
        if not self.entries:
            return None
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Any) -> None:
        if not self.entries:
            return
        size = self._size(value)
        if size * LARGEST_SHARE > self.max_bytes:
            return
        with self._lock:
            previous = self._items.pop(key, None)
            if previous is not None:
                self.bytes -= previous[1]
            self._items[key] = (value, size)
            self.bytes += size
            while len(self._items) > self.entries or self.bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self.bytes -= dropped
