"""OPTIONS bodies in Django REST framework's metadata layout, plus the filters, orderings and pagination TOM's
own OPTIONS leaves out (spec §6.5, D15).  OPTIONS needs no credentials: it discloses schema, not data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import falcon

from .listing import Filter

RENDERS = ["application/json"]
PARSES = ["application/json", "application/x-www-form-urlencoded"]
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def field(kind: str, label: str, *, required: bool = False, read_only: bool = False, **extra: Any) -> dict:
    return {"type": kind, "required": required, "read_only": read_only, "label": label, **extra}


def choices(values: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"value": value, "display_name": value.replace("_", " ").capitalize()} for value in values]


def with_choices(fields: Mapping[str, dict], name: str, values: tuple[str, ...]) -> dict[str, dict]:
    """POST fields with one field's choices filled in from the registry known at start-up."""
    return {key: ({**spec, "choices": choices(values)} if key == name else spec) for key, spec in fields.items()}


def allow(resource: object) -> str:
    """The ``Allow`` of a list or detail resource: no HEAD, which the dialects serve on downloads only."""
    methods = [m for m in METHODS if callable(getattr(resource, f"on_{m.lower()}", None))]
    return ", ".join([*methods, "OPTIONS"])


def collection(resp: falcon.Response, resource: object, *, name: str, description: str,
               post: Mapping[str, dict], filters: Mapping[str, Filter], ordering: Mapping[str, Any], dialect,
               settings, parses: list[str] = PARSES) -> None:
    resp.set_header("Allow", allow(resource))
    resp.media = {
        "name": name, "description": description, "renders": RENDERS, "parses": parses,
        "actions": {"POST": dict(post)},
        "filters": {key: {"type": f.kind, "lookup": f.lookup, "label": f.label or key.replace("_", " ").capitalize(),
                          **({"alias_of": f.alias_of} if f.alias_of else {})} for key, f in filters.items()},
        "ordering": [f"{sign}{key}" for key in ordering for sign in ("", "-")],
        "pagination": {"modes": ["limit_offset", "page"], "default": dialect.default_pagination,
                       "page_size": dialect.page_size, "max_page_size": settings.max_page_size},
    }


def item(resp: falcon.Response, resource: object, *, name: str, description: str) -> None:
    resp.set_header("Allow", allow(resource))
    resp.media = {"name": name, "description": description, "renders": RENDERS, "parses": PARSES}
