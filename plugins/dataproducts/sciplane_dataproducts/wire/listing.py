"""List conventions shared by both dialects (spec §6.2–6.3): declared filters, reserved parameters, and
the ``{count, next, previous, results}`` envelope in page or limit/offset mode with absolute links."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import falcon
import peewee

from sciplane import APIError, ValidationFailed

from .text import NUL_MESSAGE

RESERVED = ("page", "page_size", "limit", "offset", "ordering", "format")
FORMATS = ("json", "api")


@dataclass(frozen=True)
class Filter:
    """One query filter: ``convert`` turns the text into a value (ValueError: the message for the client),
    ``where`` turns the value into a condition; the rest describes it in OPTIONS."""

    where: Callable[[Any], peewee.Expression]
    convert: Callable[[str], Any] = str
    kind: str = "string"
    lookup: str = "exact"
    label: str = ""
    alias_of: str | None = None


BIGGEST = 2**63 - 1  # the widest integer column; beyond it, a number cannot match and would overflow SQLite


def digits(text: object) -> bool:
    """ASCII digits only (``str.isdigit`` also accepts ``²`` and other digits ``int`` refuses)."""
    return isinstance(text, str) and text.isascii() and text.isdigit()


def integer(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("Enter a number.") from None
    if abs(value) > BIGGEST:
        raise ValueError(f"Ensure this value is less than or equal to {BIGGEST}.")
    return value


def last(value: Any) -> str:
    """django-filter's rule: a repeated parameter takes its last value."""
    return value[-1] if isinstance(value, list) else value


def filter_conditions(params: Mapping[str, Any], filters: Mapping[str, Filter],
                      extra: tuple[str, ...] = ()) -> list[peewee.Expression]:
    """The conditions of the given filters; unknown parameters are a 400 naming the valid ones."""
    valid = sorted({*filters, *RESERVED, *extra})
    unknown = sorted(name for name in params if name not in valid)
    if unknown:
        raise APIError(f"Unknown query parameter(s): {', '.join(unknown)}. Valid parameters: {', '.join(valid)}.",
                       status=400, code="unknown_filter", errors={name: ["Unknown filter."] for name in unknown},
                       valid_parameters=valid)
    if "format" in params and last(params["format"]) not in FORMATS:
        raise ValidationFailed(errors={"format": [f'"{last(params["format"])}" is not a valid choice.']})
    conditions, problems = [], {}
    for name, values in params.items():  # a NUL reaches no statement: PostgreSQL's text cannot hold one
        if any("\x00" in value for value in (values if isinstance(values, list) else [values])):
            problems[name] = [NUL_MESSAGE]
    if problems:
        raise ValidationFailed(errors=problems)
    for name, spec in filters.items():
        text = last(params[name]) if name in params else ""
        if text == "":  # an empty value disables the filter
            continue
        try:
            conditions.append(spec.where(spec.convert(text)))
        except ValueError as exc:
            problems[name] = [str(exc)]
    if problems:
        raise ValidationFailed(errors=problems)
    return conditions


def order_by(req: falcon.Request, choices: dict, default: str = "id") -> list:
    """``ordering`` from the allowed names (``-`` for descending); an ``id`` tie-break in the same direction.

    A NULL sorts as the largest value, as PostgreSQL (and so the Django services these dialects come from)
    sorts it by default: SQLite would put it first, so nullable columns say so explicitly.
    """
    value = last(req.params.get("ordering", default)) or default
    descending = value.startswith("-")
    columns = choices.get(value.lstrip("-"))
    if columns is None:
        allowed = ", ".join(f"{p}{name}" for name in choices for p in ("", "-"))
        raise APIError(f"Invalid ordering {value!r}; choose one of {allowed}.", status=400, code="invalid_ordering")
    if descending:
        return [c.desc(nulls="FIRST" if getattr(c, "null", False) else None) for c in columns]
    return [c.asc(nulls="LAST" if getattr(c, "null", False) else None) for c in columns]


def _positive(params: Mapping[str, Any], name: str, *, zero: bool = False) -> int | None:
    if name not in params:
        return None
    text = last(params[name])
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < (0 if zero else 1) or value > BIGGEST:
        raise APIError(f"Invalid {name}: {text!r} is not a {'non-negative' if zero else 'positive'} integer.",
                       status=400, code="invalid_pagination")
    return value


class Rows(Protocol):
    """What a list is paged from: an exact count and a slice in the list's order."""

    def count(self) -> int: ...

    def slice(self, offset: int, limit: int) -> list: ...


class QueryRows:
    """An ordered peewee query as :class:`Rows`."""

    def __init__(self, query: peewee.ModelSelect):
        self.query = query

    def count(self) -> int:
        return self.query.count()

    def slice(self, offset: int, limit: int) -> list:
        return list(self.query.offset(offset).limit(limit))


def paginate(req: falcon.Request, query: peewee.ModelSelect | Rows, *, page_size: int, max_page_size: int,
             default_mode: str, render: Callable[[list], list]) -> dict[str, Any]:
    """One page of ``query`` (ordered already) in the envelope; ``count`` is exact."""
    params = req.params
    if "page" in params and "offset" in params:
        raise APIError("page and offset cannot be combined.", status=400, code="invalid_pagination")
    rows_of = query if hasattr(query, "slice") else QueryRows(query)
    count = rows_of.count()
    if "page" in params or ("limit" not in params and "offset" not in params and default_mode == "page"):
        size = min(_positive(params, "page_size") or page_size, max_page_size)
        pages = max(math.ceil(count / size), 1)
        raw = last(params.get("page", "1"))
        number = pages if raw == "last" else _positive(params, "page") or 1
        if number > pages:
            raise APIError("Invalid page.", status=404, code="invalid_page")
        rows = rows_of.slice((number - 1) * size, size)
        previous = None if number == 1 else _link(req, page=None if number == 2 else number - 1)
        following = _link(req, page=number + 1) if number < pages else None
    else:
        size = min(_positive(params, "limit") or page_size, max_page_size)
        offset = _positive(params, "offset", zero=True) or 0
        rows = rows_of.slice(offset, size)
        following = _link(req, limit=size, offset=offset + size) if offset + size < count else None
        previous = None if offset == 0 else _link(req, limit=size, offset=offset - size if offset > size else None)
    return {"count": count, "next": following, "previous": previous, "results": render(rows)}


def _link(req: falcon.Request, **paging: Any) -> str:
    """The request's absolute URL with the paging parameters replaced, parameters sorted by name (as DRF)."""
    params = {k: last(v) for k, v in req.params.items() if k not in ("page", "limit", "offset")}
    params.update({k: v for k, v in paging.items() if v is not None})
    query = urlencode(sorted(params.items()))
    return req.external_url(canonical_path(req), query)  # as the client sees the server, behind a proxy too


def canonical_path(req: falcon.Request) -> str:
    """Links use the canonical form, with its trailing slash, whichever form was requested."""
    return req.path.rstrip("/") + "/"
