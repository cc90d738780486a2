"""A per-worker LRU of encoded response bodies.

For read paths whose answer is a pure function of the request and of a
version the request reads anyway (a change counter bumped by every write):
the version is part of the key, so a hit is never stale and writes
invalidate implicitly, on every worker, without any messaging.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock
from typing import Any


class ResponseCache:
    """At most ``entries`` values (0 turns the cache off); thread-safe for gthread workers."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict = OrderedDict()
        self._lock = Lock()

    def get(self, key: Hashable) -> Any | None:
        if not self.entries:
            return None
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        if not self.entries:
            return
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)
