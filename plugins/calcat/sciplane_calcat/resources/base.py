"""What every resource of the mount shares: the request's JSON body, the rendering view, replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sciplane.media import dumps, loads

from ..cached import Answer, LookupCache
from ..errors import bad_request
from ..render import View
from ..services import Call

JSON = "application/json; charset=utf-8"


@dataclass
class Context:
    """The plugin's state for its resources."""

    settings: Any
    emit: Any  # ctx.emit: audit events
    lookups: LookupCache

    @property
    def tz(self) -> str:
        return self.settings.timezone


class Resource:
    def __init__(self, c: Context):
        self.c = c

    def call(self, req) -> Call:
        return Call(req.identity, self.c.tz, self.c.settings.uuid_parameter_name)

    def view(self, req) -> View:
        base = self.c.settings.public_url.rstrip("/") or f"{req.scheme}://{req.netloc}{self.c.settings.mount}"
        return View(self.c.tz, base)

    @classmethod
    def body(cls, req) -> dict:
        """The JSON object of the body (GET included); ``{}`` when empty."""
        return cls.parse_body(req.bounded_stream.read())

    @staticmethod
    def parse_body(raw: bytes) -> dict:
        if not raw.strip():
            return {}
        try:
            value = loads(raw)
        except ValueError:
            raise bad_request("Invalid JSON body") from None
        if not isinstance(value, dict):
            raise bad_request("Invalid JSON body")
        if _has_nul(value):
            raise bad_request("Text values cannot contain NUL characters")
        return value

    @staticmethod
    def send(resp, value: Any, status: int = 200) -> None:
        resp.status = status
        resp.content_type = JSON
        resp.data = dumps(value)

    def send_cached(self, req, resp, lookup: str, compute: Callable[[dict], Answer]) -> None:
        """Answer a lookup from the worker's cache when the catalogue has not changed since it was computed.

        The key is everything the answer depends on: the lookup, the query,
        the body as sent and the base of the ``view_url`` links.
        """
        raw = req.bounded_stream.read()
        params = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in req.params.items()))
        key = (lookup, params, raw, self.view(req).base_url)
        resp.status = 200
        resp.content_type = JSON
        resp.data = self.c.lookups.answer(key, lambda: compute(self.parse_body(raw)))

    def audit(self, req, action: str, **data: Any) -> None:
        """Record a write with the acting identity and the ``X-User-Email`` the client sent."""
        self.c.emit(f"calcat.{action}", req.identity, user_email=req.get_header("X-User-Email") or "", **data)



def _has_nul(value: Any) -> bool:
    """Whether a NUL character appears in any key or text of a parsed body (PostgreSQL cannot store it)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False
