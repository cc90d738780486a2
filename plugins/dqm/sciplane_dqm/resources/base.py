"""What the dqm resources share: the app's services, cache headers, parameters and bodies."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import falcon

from sciplane import ValidationFailed, cache_control, conditional, database, hashed_etag

from ..query import encode_cursor

NO_STORE = "no-store"
VERSION_SQL = ("SELECT (SELECT COALESCE(SUM(chunks_committed), 0) FROM dqm_parse_job), "
               "(SELECT value FROM dqm_meta WHERE key = 'data_epoch'), "
               "COALESCE((SELECT value FROM dqm_meta WHERE key = 'instance'), 0)")


class Context:
    """The app context and the plugin's settings, shared by the resources of one app."""

    def __init__(self, app_ctx, settings):
        self.app = app_ctx
        self.settings = settings


class Resource:
    """A responder object with the plugin's shared context."""

    def __init__(self, context: Context):
        self.c = context


def data_version() -> tuple[int, int, int]:
    """(chunks committed over all jobs, data epoch, the database's own number): changes whenever stored data or
    its attribution does, and differs between databases (migration 0002)."""
    row = database.execute_sql(VERSION_SQL).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def not_modified(req: falcon.Request, resp: falcon.Response, context: Context) -> bool:
    """Cache headers of a cacheable read; True (and a 304 set) when the caller's copy is current.

    Checked before the query runs: the ETag depends only on the data version and the request.
    """
    query = urlencode(sorted((k, v) for k, values in req.params.items()
                             for v in (values if isinstance(values, list) else [values])))
    etag = hashed_etag(data_version(), req.method if req.method != "HEAD" else "GET", req.path, query,
                       req.get_header("Accept") or "")
    resp.set_header("Vary", "Accept, Authorization")
    # Not ``public``: a shared cache then keeps no answer to a request with credentials (RFC 9111 §3.5).
    return conditional(req, resp, etag=etag, cache=cache_control(max_age=context.settings.cache_max_age_s,
                                                                 public=False))


def no_store(resp: falcon.Response) -> None:
    resp.set_header("Cache-Control", NO_STORE)


def body_or_query(req: falcon.Request) -> Mapping[str, Any]:
    """Parameters of an action: the JSON or form body of a POST (sent with a length or chunked), the query string
    of a GET or of a POST without a body."""
    if req.method == "GET" or not (req.content_length or req.chunked):
        return req.params
    media = req.get_media(default_when_empty=None)
    if media is None:  # a chunked body that turned out empty
        return req.params
    if not isinstance(media, Mapping):
        raise ValidationFailed("the body must be an object", errors={"json": {"_schema": ["must be an object"]}})
    return media


def link(req: falcon.Request, **replace: Any) -> str:
    """The request's path (in its trailing-slash form, the one the specification's links use) and query with
    some parameters replaced, as a relative URL."""
    params = {k: v for k, v in req.params.items() if k not in replace}
    params.update({k: v for k, v in replace.items() if v is not None})
    pairs = [(k, v) for k, values in params.items() for v in (values if isinstance(values, list) else [values])]
    return req.path.rstrip("/") + "/" + ("?" + urlencode(pairs, safe=",/") if pairs else "")


def page_body(req: falcon.Request, results: list[dict[str, Any]], cursor: tuple | None) -> dict[str, Any]:
    """A list page: ``next`` carries ``cursor``, the ordering key of the page's last item, when more follow."""
    return {"next": link(req, next_token=encode_cursor(cursor)) if cursor else None, "previous": None,
            "results": results}


def listing(req: falcon.Request, rows: Sequence[Any], size: int, key: Callable[[Any], tuple],
            render: Callable[[Sequence[Any]], list[dict[str, Any]]], wanted: tuple[str, ...]) -> dict[str, Any]:
    """A page of a keyset list from up to ``size + 1`` rows in order (one beyond the page tells that more
    follow); ``key`` gives a row's ordering key, and the items are ``render(page)`` cut to the ``fields=``
    include list ``wanted``."""
    page = rows[:size]
    return page_body(req, [only_fields(item, wanted) for item in render(page)],
                      key(page[-1]) if len(rows) > size else None)


def only_fields(item: dict[str, Any], wanted: tuple[str, ...]) -> dict[str, Any]:
    """``item`` cut to the ``fields=`` include list ``wanted`` (``item`` itself when that names every field)."""
    return item if len(wanted) == len(item) else {name: item[name] for name in wanted}
