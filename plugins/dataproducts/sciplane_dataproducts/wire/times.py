"""Datetimes on both dialects' wire: ISO 8601 in, Django REST framework's UTC form out, and the integer
microseconds datums are keyed by (exact on both engines)."""

from __future__ import annotations

import datetime as dt
from typing import Any

_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = _EPOCH.replace(tzinfo=dt.UTC)
_US = dt.timedelta(microseconds=1)
DATETIME_FORMATS = "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]"


def stamp(value: dt.datetime | None) -> str | None:
    """DRF's datetimes: UTC with ``Z``, microseconds only when non-zero."""
    if value is None:
        return None
    # isoformat, not strftime: it writes every year with four digits (strftime writes year 999 as "999").
    return value.replace(tzinfo=None).isoformat(timespec="microseconds" if value.microsecond else "seconds") + "Z"


def parse_time(text: Any) -> dt.datetime:
    """ISO 8601 to naive UTC, rounded to the microsecond; offsets converted, naive values taken as UTC."""
    if not isinstance(text, str):
        raise ValueError
    value = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is not None:
        try:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
            raise ValueError("out of range") from None
    return value


def to_us(value: dt.datetime) -> int:
    """UTC microseconds since the epoch; naive datetimes are taken as UTC."""
    return (value - (_EPOCH if value.tzinfo is None else _EPOCH_UTC)) // _US


def from_us(value: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=value)
