"""Errors of the conditions dialect and the renderer of its mount.

Bodies are ``{"detail": "...", "code": "..."}`` or DRF-style field errors
``{"<field>": ["..."], "code": "..."}``, with the reference's strings byte for
byte.  Errors raised by the core (routing, auth, limits, faults) are rendered
in the same shapes, so no response under the mount is ever in another form.
"""

from __future__ import annotations

from typing import Any

from sciplane import APIError, RenderedError


class CondError(APIError):
    """A ``{"detail", "code"}`` error; ``extra`` members are added to the body."""

    def __init__(self, status: int, code: str, detail: str, *, errors: dict | None = None,
                 headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail, status=status, code=code, errors=errors, headers=headers, **extra)


class FieldErrors(APIError):
    """DRF-style field errors: ``{"<field>": [messages], "code": …}``."""

    def __init__(self, errors: dict[str, list[str]], code: str = "validation_error", status: int = 400):
        super().__init__("Invalid input.", status=status, code=code, errors=errors)


def not_found(code: str, detail: str) -> CondError:
    return CondError(404, code, detail)


def conflict(code: str, detail: str) -> CondError:
    return CondError(409, code, detail)


GT_LOCKED = "Global Tag is locked."
GT_FROZEN = "Global Tag is frozen."

AUTH_MESSAGES = {
    "missing": "Authentication credentials were not provided",
    "bad_signature": "invalid signature",
    "expired": "access_token expired",
    "invalid_token": "invalid access_token",
    "inactive_user": "invalid access_token",
}
_CORE_DETAILS = {
    "not_found": "Not found.",
    "payload_too_large": "Request body too large.",
    "internal_error": "A server error occurred.",
    "conflict": "Concurrent modification, please retry.",
    "forbidden": "Permission denied.",
}
_CORE_CODES = {"forbidden": "permission_denied", "invalid_json": "bad_request", "invalid_body": "bad_request",
               "unauthorized": "authentication_failed"}


def render(error: APIError, req) -> RenderedError:
    """The conditions mount's error renderer."""
    headers = {k: v for k, v in error.headers.items() if k.lower() != "www-authenticate"}
    if isinstance(error, FieldErrors):
        return RenderedError(error.status, {**error.errors, "code": error.code}, headers)
    if error.code == "validation_failed":  # marshmallow errors raised anywhere under the mount
        return RenderedError(400, {**(error.errors or {}), "code": "validation_error"}, headers)
    if isinstance(error, CondError):
        body = {"detail": error.description, "code": error.code}
        if error.errors:
            body["errors"] = error.errors
        body.update(error.extra)
        return RenderedError(error.status, body, headers)
    status, code = error.status, _CORE_CODES.get(error.code, error.code)
    if error.code == "unauthorized":
        # The reference answers every authentication failure with 403.
        status = 403
        detail = AUTH_MESSAGES.get(getattr(error, "reason", ""), "Wrong access_token format")
    elif error.code == "invalid_json":
        detail = f"JSON parse error - {error.extra.get('reason', 'malformed JSON')}"
    else:
        detail = _CORE_DETAILS.get(error.code) or error.description or error.code
    return RenderedError(status, {"detail": detail, "code": code}, headers)
