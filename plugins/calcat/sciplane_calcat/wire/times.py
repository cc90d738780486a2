"""Datetimes: the input forms real callers send, and the rendering clients compare literally.

Instants are stored as integer microseconds since the Unix epoch (UTC).
"""

from __future__ import annotations

import datetime as dt
import re
import time
import zoneinfo
from functools import lru_cache

from .scalars import NOT_GIVEN, blank

UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_ZONE_WORD = re.compile(r"\s*(UTC|GMT)$", re.IGNORECASE)
# A "+" of a hand-written query string arrives decoded as a space: "…12:30:00 02:00", "…T123000 0200".
_SPACED_OFFSET = re.compile(r"(\d) (\d{2}:?\d{2})$")


@lru_cache(maxsize=16)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


def parse(value, tz: str) -> int:
    """Microseconds since the epoch; NOT_GIVEN for blank; ``ValueError`` when not a datetime.

    Naive values are local time in ``tz`` (the earlier offset at DST changes).
    """
    if blank(value):
        return NOT_GIVEN
    if not isinstance(value, str):
        raise ValueError(value)
    text = value.strip()
    utc_word = _ZONE_WORD.search(text)
    if utc_word:
        text = text[:utc_word.start()] + "+00:00"
    else:
        text = _SPACED_OFFSET.sub(r"\1+\2", text)
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(tz), fold=0)
    return to_us(parsed)


def to_us(moment: dt.datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int) -> dt.datetime:
    return EPOCH + dt.timedelta(microseconds=us)


def now_us() -> int:
    return time.time_ns() // 1000


def render(us: int | None, tz: str) -> str | None:
    """``2024-01-10T10:00:00.000+01:00``: the zone's offset, milliseconds truncated, never ``Z``."""
    return None if us is None else _render(us, tz)


@lru_cache(maxsize=1 << 16)  # responses repeat the same instants (creation times, begin_at of a report)
def _render(us: int, tz: str) -> str:
    local = from_us(us).astimezone(zone(tz))
    offset = local.utcoffset()
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return (f"{local:%Y-%m-%dT%H:%M:%S}.{local.microsecond // 1000:03d}"
            f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")
