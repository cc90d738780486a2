"""The ``histo`` field: its list grammar, and how its length maps onto the bins (spec section 4.5).

Real files write a comma-separated JSON list of numbers, which orjson turns into a Python list far
faster than any text-to-float routine in numpy does; numpy then makes the float64 array.  Lists in
the other allowed spellings (Python float literals, ``nan``/``inf``, whitespace separators, numpy
scalar reprs) fail that fast attempt and go through a slower path that checks every element.  The
slow path is the single authority on what is valid, so its messages explain every rejection.
"""

from __future__ import annotations

import re

import numpy as np
import orjson

from .errors import RowError

# Text made only of these bytes can be a list of JSON numbers and nothing else that orjson would
# accept (no strings, true/false/null or objects): only then is orjson's result trusted.
_JSON_NUMBER_LIST_BYTES = b"0123456789+-.eE,[] \t\r\n"

_NUMBER = r"[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|(?i:nan|inf|infinity))"
# A plain number, or a numpy 2 scalar repr such as ``np.float64(3.0)`` or ``np.int64(3)``.
_ELEMENT = re.compile(rf"({_NUMBER})|np\.(?:float|u?int)\d+\(({_NUMBER})\)")
_SEPARATOR = re.compile(r"\s*,\s*|\s+")


def decode_histo(raw: bytes) -> np.ndarray:
    """The numbers of a ``histo`` field as a 1-D float64 array; RowError ``bad_json`` if it is not a list."""
    if not raw.translate(None, _JSON_NUMBER_LIST_BYTES):
        try:
            numbers = orjson.loads(raw)
            # fromiter converts a flat list about a quarter faster than np.array, and rejects nesting.
            return np.fromiter(numbers, dtype=np.float64, count=len(numbers))
        except (ValueError, TypeError, OverflowError):  # orjson.JSONDecodeError is a ValueError
            pass  # not a flat JSON list of numbers: let the careful path find out why
    return _decode_any_spelling(raw)


def _decode_any_spelling(raw: bytes) -> np.ndarray:
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
    return np.array([_element_value(token) for token in _SEPARATOR.split(body)], dtype=np.float64)


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
    if y_bins is None:
        if found == x_bins + 2:
            return values[1:-1]  # a slice of a 1-D array is still C-contiguous
        if found == x_bins:
            return values
        expected = f"{x_bins + 2} (Xbins+2) or {x_bins} (Xbins)"
    else:
        if found == (x_bins + 2) * (y_bins + 2):
            return np.ascontiguousarray(values.reshape(y_bins + 2, x_bins + 2)[1:-1, 1:-1])
        if found == x_bins * y_bins:
            return values.reshape(y_bins, x_bins)
        expected = f"{(x_bins + 2) * (y_bins + 2)} ((Xbins+2)*(Ybins+2)) or {x_bins * y_bins} (Xbins*Ybins)"
    raise RowError("bad_length", f"histo has {found} values; expected {expected}")
