"""Scalar coercion as the clients send values: strings for numbers, ids and booleans, ``""`` for
"not given".  Each function returns the value, or :data:`NOT_GIVEN`, or raises ``ValueError``."""

from __future__ import annotations

import math
import re
import struct
from typing import Any

NOT_GIVEN: Any = type("NotGiven", (), {"__repr__": lambda self: "NOT_GIVEN", "__bool__": lambda self: False})()

_FALSE_WORDS = frozenset({"false", "f", "0", "off", "no", "n"})
_INTEGER = re.compile(r"[+-]?[0-9]+")


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def to_int(value: Any) -> int:
    """An integer, an integral float, or the text of either; NOT_GIVEN for blank."""
    if blank(value):
        return NOT_GIVEN
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise ValueError(value)
    if isinstance(value, str):
        text = value.strip()
        if _INTEGER.fullmatch(text):
            return int(text)
        number = float(text)  # raises ValueError for anything else
        if math.isfinite(number) and number.is_integer():
            return int(number)
    raise ValueError(value)


def to_float(value: Any) -> float:
    """A finite float from a JSON number or its text (Python float syntax); NOT_GIVEN for blank."""
    if blank(value):
        return NOT_GIVEN
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(value)
    number = float(value.strip() if isinstance(value, str) else value)
    if not math.isfinite(number):
        raise ValueError(value)
    return number


def to_bool(value: Any) -> bool:
    """Rails' cast with the false words matched case-insensitively; NOT_GIVEN for blank."""
    if blank(value):
        return NOT_GIVEN
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_WORDS
    raise ValueError(value)


def to_text(value: Any) -> str:
    """A JSON string as is, a number as its decimal text; None stays NOT_GIVEN, ``""`` is kept."""
    if value is None:
        return NOT_GIVEN
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise ValueError(value)


def last(value: Any) -> Any:
    """A query value as one value: the last of a repeated key."""
    return value[-1] if isinstance(value, list) else value


def fits(number: int, bits: int) -> bool:
    """Whether ``number`` fits a signed integer column of ``bits`` bits."""
    return -(2 ** (bits - 1)) <= number < 2 ** (bits - 1)


def fits_id(number: int) -> bool:
    """Whether ``number`` can be a row id (a 32-bit column); larger ones match nothing."""
    return fits(number, 32)


def optional_int(value: Any) -> int | None:
    """An integer, or None when blank or not an integer."""
    try:
        number = to_int(value)
    except ValueError:
        return None
    return None if number is NOT_GIVEN else number


def query_id(value: Any) -> int | None:
    """An id from a query or path value; None when it does not parse or fit (it then matches nothing)."""
    number = optional_int(last(value))
    return number if number is not None and fits_id(number) else None


_ID = re.compile(r"-?[0-9]+")


def id_list(value: Any) -> list[int]:
    """Every ``-?[0-9]+`` token in order, first occurrence wins: ``"[17, 18]"``, ``"17,18"``, ``17``,
    a JSON list, or several query values."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        tokens = [token for item in value for token in _ID.findall(str(item))]
    else:
        tokens = _ID.findall(str(value))
    return list(dict.fromkeys(int(token) for token in tokens))


_TUPLE_REPR = re.compile(r"^\(\s*'([^']*)'\s*,\s*\)$")


def query_ids(value: Any) -> list[int]:
    """:func:`id_list` without the ids no row can have."""
    return [i for i in id_list(value) if fits_id(i)]


def karabo_da_filter(value: Any) -> str | None:
    """A ``karabo_da`` query value: ``""``, ``"None"``, ``"null"`` mean no filter; a one-element tuple
    repr (``"('AGIPD00',)"``) is unwrapped."""
    value = last(value) if value else None  # an empty list is no value either
    if value is None:
        return None
    text = value.strip()
    match = _TUPLE_REPR.match(text)
    if match:
        text = match.group(1)
    return None if text in ("", "None", "null") else text


def float_of_bits(bits: int | None) -> float | None:
    """The double with the same 64-bit pattern as the signed integer ``bits`` (a PDU's ``float_uuid``)."""
    return None if bits is None else struct.unpack("<d", struct.pack("<q", bits))[0]


def bits_of_float(value: float) -> int:
    """The signed 64-bit pattern of ``value`` (``-0.0`` counts as ``0.0``): exact float comparisons."""
    return struct.unpack("<q", struct.pack("<d", value + 0.0))[0]
