"""IOV points: pairs ``(major, minor)`` of signed 64-bit integers, ordered lexicographically.

The two IOV modes differ only in how an end is read: ``continuous`` IOVs
cover ``[start, end)``, ``discrete`` ones ``[start, end]``.  The helpers
here give the mode-dependent terms of the write algorithms, so those
algorithms are written once.
"""

from __future__ import annotations

from typing import NamedTuple

MAX = 2**63 - 1
MIN = -(2**63)
OPEN_END = (MAX, MAX)
CONTINUOUS, DISCRETE = "continuous", "discrete"


class Point(NamedTuple):
    major: int
    minor: int


def succ(point: tuple[int, int]) -> tuple[int, int] | None:
    """The next point, or None past ``(MAX, MAX)``."""
    major, minor = point
    if minor < MAX:
        return (major, minor + 1)
    if major < MAX:
        return (major + 1, MIN)
    return None


def pred(point: tuple[int, int]) -> tuple[int, int] | None:
    """The previous point, or None before ``(MIN, MIN)``."""
    major, minor = point
    if minor > MIN:
        return (major, minor - 1)
    if major > MIN:
        return (major - 1, MAX)
    return None


def is_open_ended(end: tuple[int, int]) -> bool:
    """Open-ended for the locked online rule: ``minor_end = MAX`` and ``major_end`` 0 or MAX."""
    return end[1] == MAX and end[0] in (0, MAX)


class Mode:
    """The mode-dependent terms of the write rules (spec §4.4, §4.5)."""

    def __init__(self, name: str):
        if name not in (CONTINUOUS, DISCRETE):
            raise ValueError(f"unknown IOV mode {name!r}")
        self.name = name
        self.discrete = name == DISCRETE

    def valid_range(self, start: tuple[int, int], end: tuple[int, int]) -> bool:
        return end >= start if self.discrete else end > start

    def after(self, end: tuple[int, int]) -> tuple[int, int] | None:
        """The first point after an IOV ending at ``end`` (None: nothing comes after)."""
        return succ(end) if self.discrete else end

    def reaches(self, end: tuple[int, int], point: tuple[int, int]) -> bool:
        """Whether an IOV ending at ``end`` covers ``point`` or beyond."""
        return end >= point if self.discrete else end > point

    def trimmed_end(self, start: tuple[int, int]) -> tuple[int, int] | None:
        """The end of a predecessor cut just before ``start``."""
        return pred(start) if self.discrete else start


def comb_iov(major: int, minor: int) -> str:
    """The reference's decimal rendering ``major + minor·10⁻¹⁹``, computed exactly with integers."""
    if major >= 0 and minor >= 0:  # the common case: minor < 10**19 always fits the fraction
        return f"{major}.{minor:019d}"
    value = major * 10**19 + minor
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 10**19}.{value % 10**19:019d}"
