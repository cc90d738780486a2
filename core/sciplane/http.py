"""Validators and conditional requests (RFC 9110 §8.8, §13).

Resources compute a validator from a cheap change counter *before* building
the body, then call :func:`conditional`.  When it returns True the 304 is
already set and the resource returns without querying further.
"""

from __future__ import annotations

import calendar
import datetime as dt
import email.utils
import functools
import hashlib
import time
from collections.abc import Iterable

import falcon


def strong_etag(*parts: object) -> str:
    """A strong entity tag from parts that identify a state: ``"a-b-c"``."""
    return '"' + "-".join(str(p) for p in parts) + '"'


def hashed_etag(*parts: object, length: int = 16) -> str:
    """A strong entity tag that hashes arbitrary parts (query strings, headers)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=16).hexdigest()
    return '"' + digest[:length] + '"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def etag_matches(header: str | None, etag: str, *, exists: bool = True) -> bool:
    """Weak comparison of ``If-None-Match`` against ``etag`` (``*`` matches when the resource exists)."""
    if not header:
        return False
    if header.strip() == "*":
        return exists
    wanted = _opaque(etag)
    return any(_opaque(candidate) == wanted for candidate in header.split(","))


def last_modified_header(changed_at: dt.datetime, now: float | None = None) -> str:
    """``Last-Modified`` (an HTTP date) for a state last changed at ``changed_at`` (naive means UTC).

    HTTP dates have one-second resolution.  Announcing the *end* of the
    second of the last change, capped at the response's Date (``now``, Unix
    time), means a client revalidating with ``If-Modified-Since`` can never
    keep a copy that a later write in the same second made stale.  Every
    conditional response sends it, and formatting a date costs more than the
    rest of a 304: each distinct second is formatted once.
    """
    return _format_second(min(_end_of_second(changed_at), int(time.time() if now is None else now)))


@functools.lru_cache(maxsize=4096)
def _end_of_second(changed_at: dt.datetime) -> int:
    """Unix time of the end of the second of ``changed_at`` (naive means UTC)."""
    return calendar.timegm(changed_at.utctimetuple()) + 1


@functools.lru_cache(maxsize=4096)
def _format_second(epoch: int) -> str:
    return email.utils.formatdate(epoch, usegmt=True)


def not_modified_since(header: str | None, changed_at: dt.datetime) -> bool:
    """True when ``If-Modified-Since`` proves the client's copy is current."""
    if not header:
        return False
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if since is None:
        return False
    return _end_of_second(changed_at) <= calendar.timegm(since.utctimetuple())


def cache_control(*, max_age: int | None = None, public: bool = True, private: bool = False,
                  no_store: bool = False, extra: Iterable[str] = ()) -> str:
    """Compose a ``Cache-Control`` value."""
    if no_store:
        return "no-store"
    parts = ["private" if private else ("public" if public else "")]
    if max_age is not None:
        parts.append(f"max-age={int(max_age)}")
    parts.extend(extra)
    return ", ".join(p for p in parts if p)


def conditional(req: falcon.Request, resp: falcon.Response, *, etag: str | None = None,
                changed_at: dt.datetime | None = None, cache: str | None = None,
                exists: bool = True) -> bool:
    """Set validators on ``resp`` and answer 304 when the request's are current.

    ``If-None-Match`` takes precedence: when present, ``If-Modified-Since``
    is ignored (RFC 9110 §13.2.2).  Returns True when a 304 was set.
    """
    if etag is not None:
        resp.set_header("ETag", etag)
    if changed_at is not None:
        resp.set_header("Last-Modified", last_modified_header(changed_at))
    if cache is not None:
        resp.set_header("Cache-Control", cache)
    if req.method not in ("GET", "HEAD"):
        return False
    inm = req.get_header("If-None-Match")
    if inm is not None:
        fresh = etag is not None and etag_matches(inm, etag, exists=exists)
    else:
        fresh = changed_at is not None and not_modified_since(req.get_header("If-Modified-Since"), changed_at)
    if fresh:
        resp.status = falcon.HTTP_304
        resp.data = b""
    return fresh
