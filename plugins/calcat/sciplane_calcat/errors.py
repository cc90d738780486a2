"""Errors of the CalCat dialect and the renderer of its mount.

Every body under the mount is ``{"info": <text or field dictionary>}``, the
shape calibration-client and EXtra read (Rails conventions); clients compare
the 422 dictionaries for equality, so nothing else goes in the body.  The
machine-readable code travels in the ``X-Error-Code`` header instead.
Errors raised by the core (routing, authentication, limits, faults) are
rendered in the same shape.
"""

from __future__ import annotations

from typing import Any

from sciplane import APIError, ConcurrentModification, RenderedError

NOT_FOUND = "Resource not found!"
BLANK = "can't be blank"
TAKEN = "has already been taken"
IMMUTABLE = "cannot be updated"
NOT_A_NUMBER = "is not a number"
OUT_OF_RANGE = "is out of range"
BAD_DATETIME = "is not a valid datetime"
MUST_EXIST = "must exist"
NOT_IN_LIST = "is not included in the list"
INVALID = "is invalid"


def too_long(maximum: int) -> str:
    return f"is too long (maximum is {maximum} characters)"


class CalcatError(APIError):
    """An error of this dialect: ``info`` is a text or a ``{field: [messages]}`` dictionary."""

    def __init__(self, status: int, info: Any, code: str = "calcat_error", headers: dict[str, str] | None = None):
        super().__init__(info if isinstance(info, str) else "Invalid request", status=status, code=code,
                         headers=headers)
        self.info = info


def not_found() -> CalcatError:
    return CalcatError(404, NOT_FOUND, "not_found")


def bad_request(info: Any) -> CalcatError:
    return CalcatError(400, info, "bad_request")


class Invalid(CalcatError):
    """422 with Rails-style field errors; collect them with :meth:`add`, raise when any."""

    def __init__(self, errors: dict[str, list[str]] | None = None):
        self.errors_by_field: dict[str, list[str]] = {}
        for key, messages in (errors or {}).items():
            for message in messages:
                self.add(key, message)
        super().__init__(422, self.errors_by_field, "validation_failed")

    def add(self, key: str, message: str) -> None:
        messages = self.errors_by_field.setdefault(key, [])
        if message not in messages:
            messages.append(message)

    def __bool__(self) -> bool:
        return bool(self.errors_by_field)

    def raise_if_any(self) -> None:
        if self.errors_by_field:
            raise self


def invalid(key: str, message: str) -> Invalid:
    return Invalid({key: [message]})


# Core errors in this dialect's words (the codes are the core's).
_CORE_INFO = {
    "not_found": NOT_FOUND,
    "method_not_allowed": "Method not allowed",
    "payload_too_large": "Request body too large",
    "invalid_json": "Invalid JSON body",
    "invalid_body": "Invalid request body",
    "forbidden": "Not authorized",
    "internal_error": "Internal server error",
    "database_busy": "Service temporarily unavailable",
    "database_unavailable": "Service temporarily unavailable",
}
_AUTH_INFO = {"missing": "Authentication required"}
REALM = 'Bearer realm="calcat"'


def render(error: APIError, req) -> RenderedError:
    """The mount's error renderer."""
    headers = {k: v for k, v in error.headers.items() if k.lower() != "www-authenticate"}
    headers["X-Error-Code"] = error.code
    if isinstance(error, CalcatError):
        return RenderedError(error.status, {"info": error.info}, headers)
    status = error.status
    if error.code == "unauthorized":
        reason = getattr(error, "reason", "")
        info = _AUTH_INFO.get(reason, "Invalid or expired token")
        headers["WWW-Authenticate"] = REALM if reason == "missing" else f'{REALM}, error="invalid_token"'
    elif error.code == "validation_failed":  # marshmallow errors raised anywhere under the mount
        status, info = 422, error.errors or {}
    elif isinstance(error, ConcurrentModification):  # a deadlock that reached the request: nothing is taken
        status, info = 503, _CORE_INFO["database_busy"]
        headers.setdefault("Retry-After", "1")
    elif status == 409:  # never answered by this dialect: a lost race is a taken value
        status, info = 422, {"base": [TAKEN]}
    else:
        info = _CORE_INFO.get(error.code) or (error.description if status < 500 else "Internal server error")
    return RenderedError(status, {"info": info}, headers)
