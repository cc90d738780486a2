"""Error bodies both references' clients understand: the core's shape plus Django REST framework's keys.

``detail`` is always there; field errors are listed under ``errors`` and
also copied to the top level, where DRF puts them; validation failures are
400 in both dialects (the core's default is 422); authentication failures
carry DRF's texts.
"""

from __future__ import annotations

from typing import Any

import falcon

from sciplane import APIError, AuthenticationRequired
from sciplane.errors import RenderedError

RESERVED = {"title", "code", "description", "detail", "errors"}
# DRF's wording of the core's authentication failure reasons (spec §3.1).
AUTH_DETAILS = {
    "missing": ("not_authenticated", "Authentication credentials were not provided."),
    "missing_token": ("invalid_token", "Invalid token header. No credentials provided."),
    "token_has_spaces": ("invalid_token", "Invalid token header. Token string should not contain spaces."),
    "inactive_user": ("invalid_token", "User inactive or deleted."),
}
# The phrases both references' clients know (RFC 9110 renamed 413 "Content Too Large").
TITLES = {413: "Payload Too Large"}
DETAILS = {
    "validation_failed": "Invalid input.",
    "forbidden": "You do not have permission to perform this action.",
    "not_found": "Not found.",
    "internal_error": "A server error occurred.",
}


def render(error: APIError, req: falcon.Request) -> RenderedError:
    """Raise errors with ``detail=…`` for a specific DRF text (``No Target matches the given query.``)."""
    status, code = error.status, error.code
    extra = dict(error.extra)
    detail = extra.pop("detail", None) or DETAILS.get(code) or error.description or error.title
    if isinstance(error, AuthenticationRequired):
        code, detail = AUTH_DETAILS.get(error.reason, ("invalid_token", "Invalid token."))
    if code == "validation_failed":
        status, detail = 400, DETAILS["validation_failed"]
    elif code == "forbidden":
        code, detail = "permission_denied", DETAILS["forbidden"]
    if code == "payload_too_large" and "max_bytes" in extra:
        detail = f"Upload exceeds the limit of {extra['max_bytes']} bytes."
    phrase = TITLES.get(status) or falcon.code_to_http_status(status).split(" ", 1)[1]
    body: dict[str, Any] = {"title": f"{status} {phrase}",
                            "code": code, "detail": detail}
    if error.description and error.description != detail:
        body["description"] = error.description
    if isinstance(error.errors, list):  # a bulk body: one entry per item, aligned with the input (DRF's layout)
        body["errors"] = error.errors
    elif fields := _field_errors(error.errors):
        body["errors"] = fields
        body.update({name: messages for name, messages in fields.items() if name not in RESERVED})
    for key, value in extra.items():
        body.setdefault(key, value)
    return RenderedError(status, body, dict(error.headers))


def _field_errors(errors: dict | None) -> dict[str, Any]:
    """The core keys field errors by location (``json``, ``query``, ``form``); DRF by field alone."""
    if not errors:
        return {}
    flat: dict[str, Any] = {}
    for key, value in errors.items():
        if key in ("json", "query", "form", "body") and isinstance(value, dict):
            flat.update(value)
        else:
            flat[key] = value
    return flat
