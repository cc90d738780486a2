"""What every resource of the mount shares: the request's JSON body, the rendering view, replies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sciplane.media import dumps, loads

from ..errors import bad_request
from ..render import View
from ..services import Call

JSON = "application/json; charset=utf-8"


@dataclass
class Context:
    """The plugin's state for its resources."""

    settings: Any
    emit: Any  # ctx.emit: audit events

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

    @staticmethod
    def body(req) -> dict:
        """The JSON object of the body (GET included); ``{}`` when empty."""
        raw = req.bounded_stream.read()
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
