"""Lookup answers cached per worker, keyed by the catalogue version.

The heavy lookups (``get_by_detector_conditions``, ``get_possible_conditions``)
are pure functions of the request and of the catalogue — except for "now",
which a request gets when it leaves a time out.  An answer is therefore
stored with the version read before it was computed (every change bumps it:
migration 0002) and with the instant up to which "now" cannot change it;
a request pays one small query to read the version, then either sends the
stored bytes or computes.  Reading the version first is what keeps this
safe: an answer is never filed under a version newer than the rows it saw.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from sciplane.cache import ResponseCache
from sciplane.db import execute_prepared

from .wire import times

FOREVER = None  # valid until the catalogue changes
NEVER = 0  # depends on the current instant itself: not cached


@dataclass(frozen=True)
class Answer:
    """An encoded answer, and the instant (µs) from which "now" may change it (``FOREVER`` or ``NEVER``)."""

    body: bytes
    valid_until_us: int | None = FOREVER


def catalogue_version() -> int:
    return execute_prepared("calcat_version", "SELECT version FROM calcat_state WHERE id = 1").fetchone()[0]


class LookupCache:
    def __init__(self, entries: int, max_bytes: int):
        self._cache = ResponseCache(entries, max_bytes, size=lambda answer: len(answer.body))

    def answer(self, key: Hashable, compute: Callable[[], Answer]) -> bytes:
        """The stored body for ``key`` at the current version, or ``compute()``'s (stored when it may be)."""
        full_key = (catalogue_version(), key)
        stored: Answer | None = self._cache.get(full_key)
        if stored is not None and (stored.valid_until_us is FOREVER or times.now_us() < stored.valid_until_us):
            return stored.body
        fresh = compute()
        if fresh.valid_until_us != NEVER:
            self._cache.put(full_key, fresh)
        return fresh.body


def earliest_after(instant_us: int, candidates) -> int | None:
    """The first of ``candidates`` (µs or None) later than ``instant_us``: when an answer "at now" may change."""
    later = [c for c in candidates if c is not None and c > instant_us]
    return min(later) if later else FOREVER
