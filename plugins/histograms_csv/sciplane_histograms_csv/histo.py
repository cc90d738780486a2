"""The ``histo`` field: its list grammar, and how its length maps onto the bins (spec section 4.5).

Real files write a comma-separated JSON list of numbers, which orjson turns into a Python list far
faster than any text-to-float routine in numpy does; numpy then makes the float64 array.  Lists in
the other allowed spellings (Python float literals, ``nan``/``inf``, whitespace separators, numpy
scalar reprs) fail that fast attempt and go through a slower path that checks every element.  The
slow path is the single authority on what is valid, so its messages explain every rejection.
"""

from __future__ import annotations

import re
from typing import NoReturn

import numpy as np
import orjson

from .errors import RowError

# Text made only of these bytes can be a list of JSON numbers and nothing else that orjson would
# accept (no strings, true/false/null or objects): only then is orjson's result trusted.
_JSON_NUMBER_LIST_BYTES = b"0123456789+-.eE,[] \t\r\n"

_NUMBER = r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf|infinity))"
# A plain number, or a numpy 2 scalar repr such as ``np.float64(3.0)`` or ``np.int64(3)``.
_ELEMENT = re.compile(rf"({_NUMBER})|np\.(?:float|u?int)\d+\(({_NUMBER})\)")
MAX_VALUE_BYTES = 64  # a number and its separator as files write them: -1.2345678901234567e-308 is 24 bytes
_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def bin_contents_of(raw: bytes, x_bins: int, y_bins: int | None = None) -> np.ndarray:
    """The bin contents of a ``histo`` field: :func:`decode_histo`, then :func:`bin_contents`."""
    return bin_contents(decode_histo(raw, (x_bins, y_bins)), x_bins, y_bins)


def decode_histo(raw: bytes, bins: tuple[int, int | None] | None = None) -> np.ndarray:
    """The numbers of a ``histo`` field as a 1-D float64 array; RowError ``bad_json`` if it is not a list.

    ``bins`` (Xbins, Ybins or None): a field longer than the values they accept can take goes to the careful
    path, which checks a list of too many values element by element without keeping any.  A line far longer
    than its bins need then costs no more memory than one that fits them: orjson reserves about twelve times
    its input, and a decoded value is a Python object of 32 bytes.
    """
    if not raw.translate(None, _JSON_NUMBER_LIST_BYTES) and (bins is None or _may_fit(raw, _lengths(*bins)[0])):
        try:
            numbers = orjson.loads(raw)
            # fromiter converts a flat list about a quarter faster than np.array, and rejects nesting.
            return np.fromiter(numbers, dtype=np.float64, count=len(numbers))
        except (ValueError, TypeError, OverflowError):  # orjson.JSONDecodeError is a ValueError
            pass  # not a flat JSON list of numbers: let the careful path find out why
    return _decode_any_spelling(raw, bins)


def _decode_any_spelling(raw: bytes, bins: tuple[int, int | None] | None = None) -> np.ndarray:
    text = raw.decode("utf-8", errors="replace").strip()
    if not text.startswith("["):
        raise RowError("bad_json", "histo is not a list: it does not start with '['")
    if not text.endswith("]"):
        raise RowError("bad_json", "histo is not a list: it is not closed with ']'")
    body = text[1:-1].strip()
    if "[" in body or "]" in body:
        raise RowError("bad_json", "histo must be a flat list of numbers, not a nested list")
    if not body:
        return np.empty(0, dtype=np.float64)
    if bins is not None and sum(1 for _ in _SEPARATOR.finditer(body)) >= _lengths(*bins)[0]:
        _refuse_too_long(body, bins)
    return np.array([_element_value(token) for token in _SEPARATOR.split(body)], dtype=np.float64)


def _may_fit(raw: bytes, most: int) -> bool:
    """Whether ``raw`` is short enough for a list of at most ``most`` values as real files write them (longer
    ones take the careful path; a list of too many short values is still refused by its length, after the
    decoding its size bounds)."""
    return len(raw) <= MAX_VALUE_BYTES * (most + 1)


def _refuse_too_long(body: str, bins: tuple[int, int | None]) -> NoReturn:
    """A list of more values than ``bins`` accept: ``bad_json`` at its first bad element, as any list, else
    ``bad_length``; each element is checked and dropped."""
    found, start = 0, 0
    for separator in _SEPARATOR.finditer(body):
        _element_value(body[start:separator.start()])
        found, start = found + 1, separator.end()
    _element_value(body[start:])
    raise RowError("bad_length", f"histo has {found + 1} values; expected {_expected(*bins)}")


def _element_value(token: str) -> float:
    match = _ELEMENT.fullmatch(token)
    if match is None:
        shown = token if len(token) <= 40 else token[:37] + "..."
        raise RowError("bad_json", f"histo element {shown!r} is not a number")
    return float(match[1] or match[2])


def bin_contents(values: np.ndarray, x_bins: int, y_bins: int | None = None) -> np.ndarray:
    """The bin contents without under/overflow: shape ``(x_bins,)``, or ``(y_bins, x_bins)`` in 2D.

    A list with flows is cut down; a list of exactly the in-range bins is taken as it is.  In 2D the
    list is in ROOT's global-bin order, where x varies fastest, so it reshapes to ``[y][x]``.
    """
    found = values.size
    with_flows, without = _lengths(x_bins, y_bins)
    if found == with_flows:
        if y_bins is None:
            return values[1:-1]  # a slice of a 1-D array is still C-contiguous
        return np.ascontiguousarray(values.reshape(y_bins + 2, x_bins + 2)[1:-1, 1:-1])
    if found == without:
        return values if y_bins is None else values.reshape(y_bins, x_bins)
    raise RowError("bad_length", f"histo has {found} values; expected {_expected(x_bins, y_bins)}")


def _lengths(x_bins: int, y_bins: int | None) -> tuple[int, int]:
    """The list lengths the bins accept: with the under/overflow bins, and without."""
    if y_bins is None:
        return x_bins + 2, x_bins
    return (x_bins + 2) * (y_bins + 2), x_bins * y_bins


def _expected(x_bins: int, y_bins: int | None) -> str:
    with_flows, without = _lengths(x_bins, y_bins)
    if y_bins is None:
        return f"{with_flows} (Xbins+2) or {without} (Xbins)"
    return f"{with_flows} ((Xbins+2)*(Ybins+2)) or {without} (Xbins*Ybins)"
