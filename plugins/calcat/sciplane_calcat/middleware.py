"""Requests the catalogue refuses before any resource runs."""

from __future__ import annotations

from .errors import bad_request


class RejectNul:
    """A NUL character in a query value can match nothing and PostgreSQL refuses it in a statement:
    400 for the whole mount, rather than a failure in whichever lookup reads the value."""

    def __init__(self, group: str):
        self.group = group

    def process_request(self, req, resp) -> None:
        scope = getattr(req.context, "scope", None)
        if scope is not None and scope.name == self.group and "%00" in req.query_string:
            raise bad_request("Query values cannot contain NUL characters")
