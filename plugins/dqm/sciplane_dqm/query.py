"""Query-string parameters: typed, validated, and unknown names refused on native routes.

Each endpoint declares its parameters as ``name -> Kind``; :func:`parse`
returns the typed values of those present or raises 422 naming every bad
one.  The playground namespace parses leniently (unknown names ignored, as
django-filter does) with the same kinds.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from sciplane import APIError, ValidationFailed

TRUE, FALSE = {"true", "1"}, {"false", "0"}
MAX_IN = 1000
MAX_TITLES = 100
MAX_REGEX = 200
# A back-reference makes a regular expression's matching exponential in PostgreSQL's engine (a 62-character one
# held a backend for minutes on 110 titles); titles never need one.  PostgreSQL reads ``\NNN`` as one when that
# many groups exist, else as an octal escape: every ``\`` and nonzero digit is refused, octal escapes included.
_BACKREFERENCE = re.compile(r"(?:^|[^\\])(?:\\\\)*(?:\\[1-9]|\(\?P=)")
_INT64 = range(-(2 ** 63), 2 ** 63)
PAGING = ("fields", "page_size", "next_token")


@dataclass(frozen=True)
class Kind:
    convert: Callable[[str], Any]
    repeatable: int = 0  # the most values a repeated parameter may carry; 0: not repeatable


def _int(text: str) -> int:
    if not re.fullmatch(r"-?\d+", text.strip()):
        raise ValueError("must be an integer")
    if len(text.strip().lstrip("-").lstrip("0")) > 19 or int(text) not in _INT64:
        raise ValueError("must be an integer within 64 bits")
    return int(text)


def _ints(text: str) -> list[int]:
    values = [_int(part) for part in text.split(",") if part.strip()]
    if not values:
        raise ValueError("must be a comma-separated list of integers")
    if len(values) > MAX_IN:
        raise ValueError(f"may hold at most {MAX_IN} values")
    return values


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("must be true, false, 1 or 0")


def _regex(text: str) -> str:
    if len(text) > MAX_REGEX:
        raise ValueError(f"may have at most {MAX_REGEX} characters")
    _text(text)
    if _BACKREFERENCE.search(text):
        raise APIError("title__regex may not use back-references (\\1, (?P=name)) or octal escapes: a "
                       "back-reference's matching cost grows exponentially", status=422, code="invalid_regex")
    try:
        re.compile(text)
    except re.error as exc:
        raise APIError(f"title__regex is not a valid regular expression: {exc}", status=422,
                       code="invalid_regex") from None
    return text


def _text(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL")
    return text


def choice(*values: Any, convert: Callable[[str], Any] = str) -> Kind:
    def check(text: str) -> Any:
        value = convert(text)
        if value not in values:
            raise ValueError("must be one of " + ", ".join(map(str, values)))
        return value
    return Kind(check)


INT, INTS, BOOL, TEXT, REGEX = Kind(_int), Kind(_ints), Kind(_bool), Kind(_text), Kind(_regex)
TITLES = Kind(_text, repeatable=MAX_TITLES)
DIM = choice(1, 2, convert=_int)
GRANULARITY = choice("lum", "run")


def parse(params: Mapping[str, Any], spec: Mapping[str, Kind], *, strict: bool = True) -> dict[str, Any]:
    """Typed values of the declared parameters present in ``params`` (Falcon's ``req.params``)."""
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for name, raw in params.items():
        kind = spec.get(name)
        if kind is None:
            if strict and name not in PAGING:
                problems[name] = ["is not a known parameter; known: " + ", ".join(sorted({*spec, *PAGING}))]
            elif strict and isinstance(raw, list) and len(raw) > 1:  # paging parameters are read elsewhere
                problems[name] = ["may be given only once"]
            continue
        items = raw if isinstance(raw, list) else [raw]
        if len(items) > max(kind.repeatable, 1):
            if strict or kind.repeatable:
                problems[name] = ["may be given only once" if not kind.repeatable
                                  else f"may be given at most {kind.repeatable} times"]
                continue
            items = items[-1:]
        try:
            converted = [kind.convert(item) for item in items]
        except ValueError as exc:
            problems[name] = [str(exc)]
            continue
        values[name] = converted if kind.repeatable else converted[0]
    if problems:
        raise ValidationFailed("invalid query parameters", errors={"query": problems})
    return values


def page_size(params: Mapping[str, Any], default: int = 50, maximum: int = 500) -> int:
    raw = params.get("page_size")
    if raw is None:
        return default
    digits = (raw if isinstance(raw, str) else raw[-1]).strip()
    if not digits.isascii() or not digits.isdigit() or not digits.strip("0"):
        raise ValidationFailed("invalid page_size", errors={"query": {"page_size": ["must be an integer >= 1"]}})
    significant = digits.lstrip("0")  # however many digits a size above the maximum has, it is clamped
    return maximum if len(significant) > len(str(maximum)) else min(int(significant), maximum)


def wanted_fields(params: Mapping[str, Any], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """The ``fields=`` include list (all fields when absent or empty), unknown names refused."""
    raw = params.get("fields")
    if not raw:
        return allowed
    names = [name.strip() for name in (raw if isinstance(raw, str) else ",".join(raw)).split(",") if name.strip()]
    unknown = [name for name in names if name not in allowed]
    if unknown:
        raise ValidationFailed("unknown fields", errors={"query": {"fields": [
            f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}"]}})
    return tuple(name for name in allowed if name in names) or allowed


def encode_cursor(key: tuple) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(list(key))).rstrip(b"=").decode()


def _storable(value: Any) -> bool:
    """Whether a cursor value can be bound as a query parameter: a 64-bit integer, or text without NUL."""
    if type(value) is int:
        return value in _INT64
    if type(value) is str:
        return "\x00" not in value
    return True


def decode_cursor(params: Mapping[str, Any], types: tuple[type, ...]) -> tuple | None:
    """The keyset position of ``next_token``: a JSON array of the ordering key's values."""
    token = params.get("next_token")
    if token is None:
        return None
    try:
        text = token if isinstance(token, str) else token[-1]
        key = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if (isinstance(key, list) and len(key) == len(types)
                and all(type(value) is kind and _storable(value) for value, kind in zip(key, types, strict=True))):
            return tuple(key)
    except (ValueError, TypeError):
        pass
    raise APIError("next_token is not a cursor of this list", status=422, code="invalid_cursor")
